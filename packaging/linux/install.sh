#!/bin/sh
# Installs this unpacked PhotoGAN folder for the current user (no root needed):
#   ~/.local/bin/{PhotoGAN,photogan}  -> links to the executables here
#   ~/.local/share/applications/photogan.desktop, icons in ~/.local/share/icons/hicolor
# Run `./install.sh --uninstall` to remove those again. The folder itself stays where it is;
# PhotoGAN never writes inside it (models, settings and logs go to ~/.local/share/PhotoGAN,
# ~/.config/PhotoGAN and ~/.local/state/PhotoGAN).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=$HOME/.local/bin
ICONS="$PREFIX/icons/hicolor"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN/PhotoGAN" "$BIN/photogan" "$PREFIX/applications/photogan.desktop"
    for size in 16 24 32 48 64 128 256 512; do
        rm -f "$ICONS/${size}x${size}/apps/photogan.png"
    done
    echo "PhotoGAN uninstalled (the folder $HERE and your models and settings are kept)."
    exit 0
fi

mkdir -p "$BIN" "$PREFIX/applications"
ln -sf "$HERE/PhotoGAN" "$BIN/PhotoGAN"
ln -sf "$HERE/photogan" "$BIN/photogan"
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$HERE/share/icons/hicolor/${size}x${size}/apps/photogan.png" "$ICONS/${size}x${size}/apps/"
done
sed -e "s|^Exec=PhotoGAN|Exec=\"$HERE/PhotoGAN\"|" -e "s|^TryExec=PhotoGAN|TryExec=$HERE/PhotoGAN|" \
    "$HERE/share/applications/photogan.desktop" > "$PREFIX/applications/photogan.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$PREFIX/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
echo "PhotoGAN installed: run 'photogan' or 'PhotoGAN', or find it in your applications menu."
