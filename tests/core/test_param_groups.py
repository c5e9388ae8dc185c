"""Parameters grouped by module (core.runs.param_groups): modules, kinds, drawing order, coarser
spans and where an activation site's signal goes."""

from __future__ import annotations

import numpy as np

from core.runs import group_params, site_positions, spans_at_depth
from core.runs.param_groups import module_of, param_kind

# nn.TransformerEncoder-style names (two layers), as named_parameters() gives them
ENCODER = [
    "embed.weight", "embed.bias",
    *[f"encoder.layers.{i}.{leaf}" for i in range(2) for leaf in (
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias")],
    "head.weight", "head.bias",
]


def test_module_and_kind_of_a_name():
    assert module_of("0.weight") == "0"
    assert module_of("encoder.layers.1.self_attn.in_proj_weight") == "encoder.layers.1.self_attn"
    assert module_of("cls_token") == ""
    assert [param_kind(n) for n in ("0.weight", "0.bias", "attn.in_proj_bias",
                                    "lstm.weight_ih_l0", "lstm.bias_hh_l0", "cls_token", "L3")
            ] == ["weight", "bias", "bias", "weight", "bias", "other", "other"]


def test_a_grouped_order_is_kept_and_groups_span_each_module():
    groups = group_params(ENCODER)
    np.testing.assert_array_equal(groups.order, np.arange(len(ENCODER)))
    assert groups.names == tuple(ENCODER)
    assert not groups.numbered
    assert [g[0] for g in groups.groups[:4]] == [
        "embed", "encoder.layers.0.self_attn", "encoder.layers.0.self_attn.out_proj",
        "encoder.layers.0.linear1"]
    assert groups.groups[1] == ("encoder.layers.0.self_attn", 2, 4)
    assert groups.groups[-1] == ("head", 22, 24)
    assert len(groups.groups) == 1 + 2 * 5 + 1
    # spans cover every position once, in order
    covered = np.concatenate([np.arange(a, b) for _, a, b in groups.groups])
    np.testing.assert_array_equal(covered, np.arange(len(ENCODER)))
    assert groups.max_depth == 5


def test_scattered_modules_are_made_adjacent_stably():
    names = ["a.weight", "b.weight", "a.bias", "cls_token", "b.bias", "pos_embed"]
    groups = group_params(names)
    assert groups.names == ("a.weight", "a.bias", "b.weight", "b.bias", "cls_token", "pos_embed")
    assert [names[i] for i in groups.order] == list(groups.names)
    assert groups.groups == (("a", 0, 2), ("b", 2, 4), ("", 4, 6))
    assert groups.kinds == ("weight", "bias", "weight", "bias", "other", "other")


def test_built_in_layers_are_numbered():
    assert group_params(["L1", "L2", "L3"]).numbered
    assert not group_params(["L2", "L1"]).numbered
    assert not group_params(["L1", "x.weight"]).numbered
    assert not group_params([]).numbered


def test_spans_at_a_coarser_depth_merge_adjacent_groups():
    groups = group_params(ENCODER)
    assert spans_at_depth(groups, 1) == [("embed", 0, 2), ("encoder", 2, 22), ("head", 22, 24)]
    assert spans_at_depth(groups, 3) == [("embed", 0, 2), ("encoder.layers.0", 2, 12),
                                         ("encoder.layers.1", 12, 22), ("head", 22, 24)]
    assert spans_at_depth(groups, 9) == [tuple(g) for g in groups.groups]


def test_sites_go_before_the_module_they_feed():
    # nn.Sequential(Linear, ReLU, Linear, BatchNorm, ReLU, Linear, Sigmoid)
    mlp = group_params(["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias",
                        "5.weight", "5.bias"])
    np.testing.assert_array_equal(site_positions(["1", "4", "6"], mlp), [2, 6, -1])
    # a transformer block: ff = Sequential(Linear, GELU, Linear); attention has no site
    block = group_params(["embed.weight", "embed.bias", "attn.in_proj_weight",
                          "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias",
                          "ff.0.weight", "ff.0.bias", "ff.2.weight", "ff.2.bias",
                          "head.weight", "head.bias"])
    np.testing.assert_array_equal(site_positions(["ff.1"], block), [8])
    # names that do not give the order (a custom module's `act` between fc1 and fc2)
    custom = group_params(["fc1.weight", "fc2.weight"])
    np.testing.assert_array_equal(site_positions(["act"], custom), [-1])


def test_built_in_site_li_feeds_weight_layer_l_i_plus_1():
    groups = group_params(["L1", "L2", "L3", "L4"])
    np.testing.assert_array_equal(site_positions(["L1", "L2", "L3"], groups), [1, 2, 3])
