"""A transformer encoder block on a synthetic sequence task: saturating or healthy.

    python examples/transformer_block.py            # tanh feed-forward pinned at ±1: stuck units
    python examples/transformer_block.py --healthy  # GELU feed-forward, default init
Open runs/transformer.actirun in Actiscope while it runs: in the stuck setting most tanh units
show as dead (tanh is exactly ±1 in float32, so f' = 1 - a² is exactly 0) or saturated
(f' < 0.01 on every token) from the first steps.
"""

from __future__ import annotations

import argparse

import actiscope_probe
import torch
from torch import nn


class Block(nn.Module):
    """Self-attention and a feed-forward layer, pre-LayerNorm, with a classifier on the mean."""

    def __init__(self, healthy: bool, d: int = 64) -> None:
        super().__init__()
        self.embed = nn.Linear(8, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU() if healthy else nn.Tanh(),
                                nn.Linear(4 * d, d))
        self.head = nn.Linear(d, 2)
        if not healthy:
            # pre-activations around ±30 (std 8): tanh' < 0.01 on nearly every token
            nn.init.normal_(self.ff[0].weight, std=1.0)
            with torch.no_grad():
                sign = torch.randint(0, 2, (4 * d,)) * 2 - 1
                self.ff[0].bias.copy_(sign * torch.empty(4 * d).uniform_(25, 35))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        q = self.norm1(h)
        h = h + self.attn(q, q, q, need_weights=False)[0]
        h = h + self.ff(self.norm2(h))
        return self.head(h.mean(1))


def main() -> None:
    """Train and record the run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", action="store_true", help="the setting that trains well")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--run", default="runs/transformer.actirun")
    args = parser.parse_args()
    torch.manual_seed(0)
    net = Block(args.healthy)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4)
    with actiscope_probe.attach(net, opt, run=args.run, overwrite=True) as probe:
        for step in range(args.steps):
            if step % 100 == 0:
                probe.epoch()
            x = torch.randn(32, 16, 8)
            y = (x[:, :, 0].sum(1) > 0).long()  # is the first feature's sum positive?
            logits = net(x)
            loss = nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            probe.log(loss=loss, accuracy=(logits.argmax(1) == y).float().mean())
    print(f"wrote {args.run}; final loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
