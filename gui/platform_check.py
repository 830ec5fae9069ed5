"""Checks, before Qt loads its platform plugin, that the desktop app can open a window here.

On Linux, Qt's X11 plugin (``libqxcb.so``) needs a dozen small system libraries that many
machines lack (``libxcb-cursor0`` on a desktop Ubuntu, ``libxcb-icccm4`` and
``libxcb-keysyms1`` on a plain Debian). Without them Qt prints a page about plugins that names
at most one of them, suggests reinstalling (which does not help) and aborts. This module reads
the libraries the plugin needs (the ELF ``NEEDED`` entries of the plugin and of the Qt libraries
it uses), asks the dynamic loader for each one exactly as it will be asked when Qt loads the
plugin (``dlopen``: ``LD_LIBRARY_PATH``, the ``ldconfig`` cache, the default folders, so the
libraries a packaged build bundles count too), and when some are missing prints one message
naming them with the apt and dnf lines that install them, then exits with ``EXIT_NO_PLATFORM``.

Wayland sessions use Qt's Wayland plugin when its libraries load, and X11 (XWayland) otherwise.
Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

EXIT_NO_PLATFORM = 69  # sysexits' EX_UNAVAILABLE: a system library or the display is missing

# soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}
# The libraries every Linux desktop needs for Qt's X11 plugin: README's one install line.
XCB_HELPERS = ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
               "libxcb-image.so.0", "libxcb-render-util.so.0", "libxkbcommon-x11.so.0")
_PLUGINS = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}
_NO_CHECK = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb", "minimalegl", "vkkhrdisplay"}


@dataclass
class Verdict:
    """What ``check`` found: the platform to ask Qt for (``None``: leave Qt's choice), or
    why no window can open (``problem``, with the ``missing`` sonames)."""

    platform: str | None = None
    problem: str = ""
    missing: list[str] = field(default_factory=list)


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds and loads ``soname`` (with its own dependencies)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def loaded_from(soname: str) -> Path | None:
    """The file the loader uses for ``soname`` (``None``: not loadable, or not Linux)."""
    if not can_load(soname):
        return None
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and "/" in fields[5]:
            name = Path(fields[5].strip()).name
            if name == soname or name.startswith(soname + "."):
                return Path(fields[5].strip())
    return None


def qt_folder() -> Path | None:
    """PySide6's ``Qt`` folder (``plugins/``, ``lib/``), found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "Qt").is_dir():
            return Path(location) / "Qt"
    return None


def needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF shared object (empty if it is not one)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return []
    wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
    shoff, shentsize, shnum = (struct.unpack_from(end + "Q", data, 0x28)[0] if wide else
                               struct.unpack_from(end + "I", data, 0x20)[0],
                               *struct.unpack_from(end + "HH", data, 0x3A if wide else 0x2E))
    sections = [_section(data, shoff + i * shentsize, wide, end) for i in range(shnum)]
    names = []
    for kind, offset, size, link in sections:
        if kind != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[link][1]
        step = 16 if wide else 8
        for pos in range(offset, offset + size, step):
            tag, value = struct.unpack_from(end + ("qQ" if wide else "iI"), data, pos)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                start = strtab + value
                names.append(data[start:data.index(b"\0", start)].decode())
    return names


def _section(data: bytes, at: int, wide: bool, end: str) -> tuple[int, int, int, int]:
    """``(sh_type, sh_offset, sh_size, sh_link)`` of the section header at ``at``."""
    if wide:
        _, kind, _, _, offset, size, link = struct.unpack_from(end + "IIQQQQI", data, at)
    else:
        _, kind, _, _, offset, size, link = struct.unpack_from(end + "IIIIIII", data, at)
    return kind, offset, size, link


def missing_for(plugin: str, qt: Path, loader=None) -> list[str] | None:
    """System libraries the Qt platform ``plugin`` (``xcb``/``wayland``) needs that the loader
    cannot load; ``None`` when this Qt has no such plugin. Qt's own libraries (in ``qt/lib``)
    are followed to their system dependencies."""
    path = qt / "plugins" / "platforms" / _PLUGINS[plugin]
    if not path.is_file():
        return None
    libs, seen, todo, system = qt / "lib", set(), [path], []
    while todo:
        for name in needed(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if (libs / name).is_file():
                todo.append(libs / name)
            else:
                system.append(name)
    loader = loader or can_load  # (looked up now, so tests can replace can_load)
    return [name for name in system if not loader(name)]


def check(env: dict[str, str] | None = None, qt: Path | None = None, loader=None,
          system: str = sys.platform) -> Verdict:
    """Decide which Qt platform can open a window here (see the module docstring)."""
    env = os.environ if env is None else env
    qt = qt or qt_folder()
    if not system.startswith("linux") or qt is None:
        return Verdict()
    asked = [p.strip() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if asked and (asked[0].split(":")[0] in _NO_CHECK or asked[0] not in _PLUGINS):
        return Verdict()
    wayland, x11 = bool(env.get("WAYLAND_DISPLAY")), bool(env.get("DISPLAY"))
    order = asked or (["wayland", "xcb"] if wayland else ["xcb"])
    tried: dict[str, list[str]] = {}
    for plugin in order:
        if plugin == "xcb" and not x11 and not asked:
            continue
        missing = missing_for(plugin, qt, loader)
        if not missing:  # works, or this Qt has no such plugin (Qt then says why)
            return Verdict(platform=None if asked else plugin)
        tried[plugin] = missing
    if not tried:
        return Verdict(problem="PhotoGAN needs a graphical desktop: no display was found "
                       "(neither DISPLAY nor WAYLAND_DISPLAY is set). Start it from a desktop "
                       "session, or use the photogan command instead.")
    missing = tried.get("xcb") or next(iter(tried.values()))
    return Verdict(problem=missing_message(missing, "xcb" in tried), missing=missing)


def missing_message(missing: list[str], x11: bool = True) -> str:
    """The message for missing libraries: which ones, and the apt and dnf lines."""
    what = "X11 (xcb)" if x11 else "Wayland"
    apt = sorted({PACKAGES[n][0] for n in missing if n in PACKAGES})
    dnf = sorted({PACKAGES[n][1] for n in missing if n in PACKAGES})
    unknown = [n for n in missing if n not in PACKAGES]
    lines = [f"PhotoGAN cannot open its window: Qt's {what} display support needs system "
             f"libraries that are not installed: {', '.join(missing)}.",
             "Install them, then start PhotoGAN again:"]
    if apt:
        lines.append(f"  Debian/Ubuntu: sudo apt install {' '.join(apt)}")
        lines.append(f"  Fedora:        sudo dnf install {' '.join(dnf)}")
    if unknown:
        lines.append(f"  and the packages that provide {', '.join(unknown)}")
    return "\n".join(lines)


def ensure_platform(env: dict[str, str] | None = None, loader=None) -> None:
    """Run ``check``; set ``QT_QPA_PLATFORM`` to the plugin that works, or print the problem
    and exit with ``EXIT_NO_PLATFORM``. Call before the ``QApplication`` is made."""
    env = os.environ if env is None else env
    verdict = check(env, loader=loader)
    if verdict.problem:
        sys.stderr.write(verdict.problem + "\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_NO_PLATFORM)
    if verdict.platform and verdict.platform != "xcb":
        env["QT_QPA_PLATFORM"] = f"{verdict.platform};xcb"
    elif verdict.platform:
        env["QT_QPA_PLATFORM"] = verdict.platform


def report() -> int:
    """``PhotoGAN --check-platform`` (for the packaging smoke test): print where each X11
    helper library is loaded from and the verdict for this environment; returns 0 when a
    window could open, ``EXIT_NO_PLATFORM`` otherwise. Opens no window."""
    for soname in XCB_HELPERS:
        print(f"{soname} -> {loaded_from(soname) or 'MISSING'}")
    verdict = check()
    print(verdict.problem or f"ok: platform {verdict.platform or 'chosen by Qt'}", flush=True)
    return EXIT_NO_PLATFORM if verdict.problem else 0
