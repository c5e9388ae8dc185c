"""FileRun.series over a slice of records: the same numbers as an index read, a read-only view
inside one record batch, one copy across batches (the fast path a scrubber's envelope uses)."""

from __future__ import annotations

import numpy as np
from runformat_samples import write_run

from core.runs import FileRun


def test_list_column_slices_equal_index_reads_across_batches(tmp_path):
    path = tmp_path / "run.actirun"
    write_run(path, list(range(1, 30)))                      # one record batch per record
    run = FileRun(path)
    for name in ("grad_norm", "dead_window", "signal_norm"):
        whole = run.series(name, np.arange(len(run)))
        for start, stop in [(0, 29), (3, 4), (5, 17), (28, 29), (7, 7), (10, 60)]:
            got = run.series(name, slice(start, stop))
            np.testing.assert_array_equal(got, whole[start:stop])
            assert not got.flags.writeable or got.base is None


def test_slice_inside_one_batch_is_a_read_only_view(tmp_path):
    path = tmp_path / "run.actirun"
    written = write_run(path, list(range(1, 13)), flush_each=False)   # one batch at close
    run = FileRun(path)
    got = run.series("grad_norm", slice(2, 9))
    assert not got.flags.writeable
    np.testing.assert_array_equal(got, [v["grad_norm"] for v in written[2:9]])
    np.testing.assert_array_equal(run.series("grad_norm", slice(2, 9)),
                                  run.series("grad_norm")[2:9])      # and after a full read
