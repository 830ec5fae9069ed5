"""PyTorch ResnetGenerator as in pytorch-CycleGAN-and-pix2pix (and DeblurGAN's variant with
``learn_residual``), written here to produce official-layout state dicts for import tests."""

from __future__ import annotations

import functools

import torch
from torch import nn


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm_layer, use_dropout, use_bias):
        super().__init__()
        block = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim),
                 nn.ReLU(True)]
        if use_dropout:
            block += [nn.Dropout(0.5)]
        block += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim)]
        self.conv_block = nn.Sequential(*block)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf=64, n_blocks=9, norm="instance", use_dropout=False,
                 learn_residual=False):
        super().__init__()
        if norm == "instance":
            norm_layer = functools.partial(nn.InstanceNorm2d, affine=False,
                                           track_running_stats=False)
        else:
            norm_layer = functools.partial(nn.BatchNorm2d, affine=True,
                                           track_running_stats=True)
        use_bias = norm == "instance"
        self.learn_residual = learn_residual
        model = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=use_bias), norm_layer(ngf),
                 nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1,
                                bias=use_bias), norm_layer(ngf * mult * 2), nn.ReLU(True)]
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * 4, norm_layer, use_dropout, use_bias)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                         output_padding=1, bias=use_bias),
                      norm_layer(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        out = self.model(x)
        if self.learn_residual:
            out = torch.clamp(x + out, min=-1, max=1)
        return out


def randomise(net: nn.Module, seed: int) -> None:
    """Non-trivial weights and batch-norm statistics."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def published_state_dict(net: nn.Module, running_stats: bool = False, prefix: str = "",
                         seed: int = 7) -> dict:
    """``net``'s state dict laid out like the published checkpoints.

    Args:
        running_stats: add ``running_mean`` / ``running_var`` / ``num_batches_tracked`` for
            every ``InstanceNorm2d``, as PyTorch <= 0.3 (and ``track_running_stats=True``)
            saved them; random values, so a loader that used them would be caught.
        prefix: ``"module."`` for a DataParallel checkpoint.
    """
    gen = torch.Generator().manual_seed(seed)
    state = dict(net.state_dict())
    for name, module in net.named_modules():
        if running_stats and isinstance(module, nn.InstanceNorm2d):
            channels = module.num_features
            state[f"{name}.running_mean"] = torch.randn(channels, generator=gen)
            state[f"{name}.running_var"] = torch.rand(channels, generator=gen) + 0.5
            state[f"{name}.num_batches_tracked"] = torch.tensor(1000, dtype=torch.long)
    return {prefix + k: v for k, v in state.items()}


def run_padded(net: nn.Module, photo, multiple: int = 4):
    """The official network once on a whole ``(H, W, 3)`` photo in [-1, 1], reflect-padded at
    the bottom/right to ``multiple`` and cropped back: ``(H, W, 3)`` numpy float32."""
    import numpy as np

    h, w = photo.shape[:2]
    padded = np.pad(photo, ((0, -h % multiple), (0, -w % multiple), (0, 0)), mode="reflect")
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(padded)).permute(2, 0, 1)[None]
        y = net(x)[0].permute(1, 2, 0).numpy()
    return y[:h, :w]
