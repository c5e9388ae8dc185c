"""Flat per-device buffers that hold every activation site's accumulators (one op for all sites)."""

from __future__ import annotations

import torch

from actiscope_probe.sites import SiteState


class SiteBuffers:
    """Flat buffers of the sites on one device; each site's accumulators are views into them."""

    def __init__(self, sites: list[SiteState], device: torch.device) -> None:
        """Allocate the buffers and rebind the sites' views (keeping their current values)."""
        self.sites, self.device = sites, device
        total = sum(s.width for s in sites)
        self.window = torch.zeros(total, device=device)
        self.batch = torch.zeros(total, device=device)
        self.unit = torch.zeros(total, device=device)
        self.signal = torch.zeros(len(sites), device=device)
        offset = 0
        for i, site in enumerate(sites):
            views = (self.window[offset:offset + site.width],
                     self.batch[offset:offset + site.width], self.signal[i],
                     self.unit[offset:offset + site.width])
            for view, old in zip(views, (site.window, site.batch, site.signal, site.unit),
                                 strict=True):
                if old is not None:
                    view.copy_(old)
            site.window, site.batch, site.signal, site.unit = views
            offset += site.width

    @staticmethod
    def merge(groups: list[SiteBuffers]) -> list[SiteBuffers]:
        """One group per device (sites in forward order)."""
        by_device: dict[torch.device, list[SiteState]] = {}
        for group in groups:
            by_device.setdefault(group.device, []).extend(group.sites)
        return [SiteBuffers(sorted(sites, key=lambda s: s.index), device)
                for device, sites in by_device.items()]

    def fold_window(self) -> None:
        """window = max(window, this step's batch peaks): one op for every site of the group."""
        for site in self.sites:
            if site.batch_n == 0 and site.measured:  # not run this step: 0 leaves the max as is
                site.batch.zero_()
        torch.maximum(self.window, self.batch, out=self.window)
