"""Self-check of the PyTorch half: train.forward_train (batched) computes what CPNet.restore
computes, the weight file round-trips, and the fixture model is what make_fixtures says.

    training/.venv/bin/python training/check_model.py

Prints 'N passed, 0 failed' and exits 0, or names the failing check and exits 1.
"""
from __future__ import annotations

import os
import sys
import tempfile

import torch

import safetensors_io
from export import metadata_for
from model import CPNet, Widths, padding_to_multiple
import tomllib

from train import align_batch, forward_train, initial_weights, load_config, loss_terms

TOLERANCE = 1e-5


def random_frames(gen, b, k, h, w):
    target = torch.rand(b, 3, h, w, generator=gen)
    refs = torch.rand(b, k, 3, h, w, generator=gen)
    v_t = (torch.rand(b, 1, h, w, generator=gen) > 0.3).float()
    v_refs = (torch.rand(b, k, 1, h, w, generator=gen) > 0.1).float()
    return target, v_t, refs, v_refs


def perturbed_model(alpha, size, seed):
    torch.manual_seed(seed)
    model = CPNet(Widths.for_alpha(alpha, size)).eval()
    with torch.no_grad():
        model.align_regressor.fc.weight.normal_(0, 0.5)
        model.align_regressor.fc.bias.add_(torch.randn(6) * 0.1)
    return model


def check_forward_train_equals_restore():
    """Batch 1 and batch 2 (each sample against its own restore), odd and multiple-of-8 sizes."""
    gen = torch.Generator().manual_seed(1)
    worst = 0.0
    for alpha, size, b, k, h, w in [(0.125, 64, 1, 3, 64, 96), (0.125, 32, 1, 2, 58, 90), (0.25, 64, 2, 2, 45, 71)]:
        model = perturbed_model(alpha, size, 3)
        target, v_t, refs, v_refs = random_frames(gen, b, k, h, w)
        with torch.no_grad():
            _, composite, _, aligned, aligned_v = forward_train(model, target, v_t, refs, v_refs)
            for i in range(b):
                trace = {}
                out = model.restore(target[i:i + 1], v_t[i:i + 1], refs[i], v_refs[i], trace=trace)
                err = (out - composite[i:i + 1]).abs().max().item()
                worst = max(worst, err)
                assert err <= TOLERANCE, f"forward_train vs restore ({h}x{w}, K={k}, sample {i}): max abs error {err:.2e}"
                err = (trace["warp_ref_rgb"] - aligned[i]).abs().max().item()
                assert err <= TOLERANCE, f"aligned references differ by {err:.2e}"
                assert torch.equal(trace["warp_ref_valid"], aligned_v[i]), "aligned visibility differs"
    return f"forward_train == restore within {TOLERANCE:g} (max abs error {worst:.2e})"


def check_restore_keeps_valid_pixels():
    gen = torch.Generator().manual_seed(2)
    model = perturbed_model(0.125, 64, 4)
    target, v_t, refs, v_refs = random_frames(gen, 1, 2, 50, 70)
    with torch.no_grad():
        out = model.restore(target, v_t, refs[0], v_refs[0])
    assert torch.equal(out * v_t, target * v_t), "restore changed valid pixels"
    return "restore passes valid pixels through exactly"


def check_safetensors_round_trip():
    model = perturbed_model(0.125, 64, 5)
    meta = metadata_for(model.widths, "check")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "w.safetensors")
        safetensors_io.save(path, model.state_dict(), meta)
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
        assert (8 + n) % 8 == 0, "data section is not 8-byte aligned"
        tensors, back = safetensors_io.load(path)
    assert back == meta, f"metadata changed: {back}"
    state = model.state_dict()
    assert sorted(tensors) == sorted(state), "tensor names changed"
    for name, value in state.items():
        assert torch.equal(tensors[name], value), f"tensor {name} changed"
    restored = CPNet(Widths.for_alpha(float(back["alpha"]), int(back["align_size"])))
    restored.load_state_dict(tensors)
    return "safetensors round trip (names, values, metadata, alignment)"


def check_initial_weights():
    """A fine-tune's init loads every part from the weight file but those named in `reinit`,
    which start from their own initialisation (for the regressor: zero fc weight, identity bias)."""
    donor = perturbed_model(0.125, 64, 5)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "w.safetensors")
        safetensors_io.save(path, donor.state_dict(), metadata_for(donor.widths, "check"))
        model = CPNet(donor.widths)
        initial_weights(model, path, ["align_regressor"])
    for name, value in model.align_encoder.state_dict().items():
        assert torch.equal(value, donor.align_encoder.state_dict()[name]), f"align_encoder.{name} not loaded"
    for name, value in model.paste_decoder.state_dict().items():
        assert torch.equal(value, donor.paste_decoder.state_dict()[name]), f"paste_decoder.{name} not loaded"
    assert not torch.equal(model.align_regressor.convs[0].weight, donor.align_regressor.convs[0].weight), \
        "the regressor's convs kept the init's weights"
    fc = model.align_regressor.fc
    assert not torch.equal(fc.bias, donor.align_regressor.fc.bias), "the regressor kept the init's perturbed fc"
    assert torch.all(fc.weight == 0) and torch.equal(fc.bias, torch.tensor([1., 0, 0, 0, 1, 0])), "fresh fc is not identity"
    return "fine-tune init: weight file loaded, reinit parts fresh"


def check_config_extends():
    """A config with `extends` reads its base first and overrides it key by key, table by table."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "base.toml"), "w") as f:
            f.write('[data]\nmax_hole = 0.7\nreferences = 4\n[train]\nsteps = 4000\nout = "a"\n')
        with open(os.path.join(d, "variant.toml"), "w") as f:
            f.write('extends = "base.toml"\n[data]\nmax_hole = 0.9\n[train]\nout = "b"\n')
        cfg = load_config(os.path.join(d, "variant.toml"))
    assert cfg == {"data": {"max_hole": 0.9, "references": 4}, "train": {"steps": 4000, "out": "b"}}, f"merged {cfg}"
    return "config extends: base read first, variant overrides key by key"


def check_widths_and_padding():
    full = Widths.for_alpha(1.0, 224)
    assert (full.a1, full.a2, full.a3, full.r, full.e1, full.e2, full.p) == (64, 128, 256, 512, 64, 128, 257)
    slim = Widths.for_alpha(0.125, 64)
    assert (slim.a1, slim.a3, slim.r, slim.e2, slim.p) == (8, 32, 64, 16, 33)
    assert padding_to_multiple(58, 90, 8) == (3, 3, 3, 3)
    assert padding_to_multiple(57, 91, 8) == (3, 4, 2, 3)
    assert padding_to_multiple(64, 96, 8) == (0, 0, 0, 0)
    return "widths and padding"


def check_training_step():
    """One loss/backward pass of train.py on a random batch: every loss finite, every gradient finite,
    and the copy/paste path and the regressor's fc receive gradient."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs", "smoke.toml"), "rb") as f:
        weights = tomllib.load(f)["loss"]
    gen = torch.Generator().manual_seed(6)
    torch.manual_seed(6)
    model = CPNet(Widths.for_alpha(0.125, 32)).train()
    target, v_t, refs, v_refs = random_frames(gen, 2, 2, 40, 56)
    total, terms = loss_terms(model, (target, v_t, refs, v_refs, torch.rand(target.shape, generator=gen)), weights)
    total.backward()
    bad = [k for k, v in terms.items() if not torch.isfinite(v)]
    assert not bad, f"non-finite loss terms {bad}"
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"no or non-finite gradient for {name}"
    for name in ("paste_decoder.convs.0.weight", "copy_encoder.convs.0.weight", "align_regressor.fc.weight"):
        assert dict(model.named_parameters())[name].grad.abs().sum() > 0, f"zero gradient for {name}"
    return f"training step: loss {total.item():.3f}, finite gradients"


def check_alignment_stage():
    """The alignment stage's pieces: references drawn by age in seconds stay within the age at any
    fps; the paint-weighted alignment loss is 0 for a perfect alignment, charges unseen pixels
    their cost, weighs paint up, and trains only §1–2 when the stage says so."""
    import numpy as np
    import data as D
    import losses as L
    for fps in (15, 30):
        for seed in range(50):
            offsets = D.reference_offsets(200, fps, 4, 1.0, np.random.default_rng(seed))
            assert offsets == sorted(set(offsets)) and len(offsets) == 4, f"offsets {offsets}"
            assert 4 <= offsets[-1] <= round(1.0 * fps), f"oldest {offsets[-1]} frames at {fps} fps beyond 1 s"
    assert D.reference_offsets(4, 30, 4, 1.0, np.random.default_rng(0)) is None, "a 4-frame clip has no 4 past frames"
    gen = torch.Generator().manual_seed(7)
    truth = torch.rand(1, 3, 8, 8, generator=gen)
    hole = torch.zeros(1, 1, 8, 8); hole[..., :4, :] = 1
    paint = torch.zeros(1, 1, 8, 8)
    perfect = truth.unsqueeze(1).expand(1, 2, 3, 8, 8)
    seen = torch.ones(1, 2, 1, 8, 8)
    assert L.weighted_alignment(perfect, seen, truth, hole, paint, 2.0, 8.0, 0.1).item() == 0
    unseen = L.weighted_alignment(perfect, torch.zeros_like(seen), truth, hole, paint, 2.0, 8.0, 0.1).item()
    assert abs(unseen - 0.1) < 1e-6, f"unseen pixels cost {unseen}, expected 0.1"
    off = perfect.clone(); off[..., 6, 6] += 0.5            # one wrong pixel
    paint[..., 6, 6] = 1
    with_paint = L.weighted_alignment(off, seen, truth, hole, paint, 2.0, 8.0, 0.1).item()
    without = L.weighted_alignment(off, seen, truth, hole, torch.zeros_like(paint), 2.0, 8.0, 0.1).item()
    assert with_paint > 5 * without, f"an error on paint weighs {with_paint:.4f}, off paint {without:.4f}"
    model = CPNet(Widths.for_alpha(0.125, 32)).train()
    for module in (model.copy_encoder, model.paste_decoder):
        module.requires_grad_(False)
    target, v_t, refs, v_refs = random_frames(gen, 2, 2, 40, 56)
    batch = (target, v_t, refs, v_refs, torch.rand(target.shape, generator=gen), (torch.rand(2, 1, 40, 56, generator=gen) > 0.9).float())
    total, terms = loss_terms(model, batch, {"alignment_paint": 1.0}, "alignment")
    total.backward()
    assert list(terms) == ["alignment_paint"], f"terms {list(terms)}"
    assert model.align_regressor.fc.weight.grad.abs().sum() > 0, "no gradient reaches θ"
    assert all(p.grad is None for p in model.paste_decoder.parameters()), "the decoder got gradient in the alignment stage"
    return "alignment stage: reference ages at 15 and 30 fps, weighted alignment loss, only §1–2 trained"


def check_filmed_inputs():
    """With `filmed_inputs`, a sample feeds the network the filmed frames (target outside its
    holes, references with their own holes as invisible) and hands the loss the truth references;
    without it, truth in both places. And the loss warps what it is handed, not the inputs."""
    import numpy as np
    import data as D
    rng = np.random.default_rng(3)
    n, h, w = 12, 16, 24
    truth = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    filmed = np.clip(truth.astype(int) + 60, 0, 255).astype(np.uint8)   # brighter, clipped
    holes = np.zeros((n, h, w), bool); holes[:, :6, :] = True             # the top rows, every frame
    clip = D.Clip("drive", truth, holes, 30.0, filmed)
    base = dict(crop=(w, h), references=2, strides=(1,), moving_mask_share=0.0, restored_reference_share=0.0,
                min_hole=0.1, max_hole=0.9, target_exposure_jitter=0.0)
    target, v_t, refs, v_refs, truth_t, _paint, ref_truths = D.make_sample([clip], D.SampleConfig(**base, filmed_inputs=1.0),
                                                                          np.random.default_rng(0))
    assert np.all(v_t[0, :6] == 0) and np.all(v_t[0, 6:] == 1)
    assert np.all(v_refs[:, 0, :6] == 0) and np.all(v_refs[:, 0, 6:] == 1), "a filmed reference's holes must be invisible"
    t = int(np.flatnonzero([np.allclose(truth_t, f.transpose(2, 0, 1) / 255) for f in truth])[0])
    assert np.allclose(target[:, 6:], filmed[t, 6:].transpose(2, 0, 1) / 255), "the target must be the filmed frame"
    assert np.allclose(refs[0][:, 6:], filmed[t - 1, 6:].transpose(2, 0, 1) / 255), "the newest reference must be filmed"
    assert np.allclose(ref_truths[0], truth[t - 1].transpose(2, 0, 1) / 255), "the loss must get the truth reference"
    plain = D.make_sample([clip], D.SampleConfig(**base), np.random.default_rng(0))
    assert np.array_equal(plain[2], plain[6]) and np.all(plain[3] == 1), "without filmed_inputs the references are the truth"
    model = CPNet(Widths.for_alpha(0.125, 32)).eval()
    x = lambda a: torch.from_numpy(np.ascontiguousarray(a))[None]
    with torch.no_grad():
        a_in, _, _ = align_batch(model, x(target), x(v_t), x(refs), x(v_refs))
        a_truth, _, _ = align_batch(model, x(target), x(v_t), x(refs), x(v_refs), warp=x(ref_truths))
    assert not torch.allclose(a_in, a_truth), "warp= must warp the truth references, not the inputs"
    return "filmed inputs: filmed target and references with their holes in, truth references to the loss"


def check_lateral_theta():
    """θ "lateral" learns only θ12 and θ13 (the rest stays the identity's, whatever the fc holds),
    trains them, and after fold_theta a plain affine CPNet with the same weights gives the same θ."""
    torch.manual_seed(7)
    model = perturbed_model(0.125, 64, 8)
    lateral = CPNet(model.widths, "lateral")
    lateral.load_state_dict(model.state_dict())
    with torch.no_grad():  # a fc that would move every entry
        lateral.align_regressor.fc.weight.normal_(0, 0.5)
        lateral.align_regressor.fc.bias.normal_(0, 0.5)
    f_t = torch.randn(2, model.widths.a3, 16, 28)
    f_r = torch.randn(2, model.widths.a3, 16, 28)
    theta = lateral.ar(f_t, f_r)
    fixed = theta.view(2, 6)[:, [0, 3, 4, 5]]
    assert torch.equal(fixed, torch.tensor([[1.0, 0, 1, 0]] * 2)), f"fixed entries moved: {fixed}"
    free = theta.view(2, 6)[:, [1, 2]]
    assert free.abs().min() > 0 and not torch.allclose(free[0], free[1]), "θ12, θ13 do not follow the input"
    theta.view(2, 6)[:, [1, 2]].sum().backward()
    grad = lateral.align_regressor.fc.weight.grad
    assert grad[[1, 2]].abs().sum() > 0 and grad[[0, 3, 4, 5]].abs().sum() == 0, "gradient reaches the wrong θ entries"
    lateral.align_regressor.fold_theta()
    plain = CPNet(model.widths)
    plain.load_state_dict(lateral.state_dict())
    with torch.no_grad():
        assert torch.allclose(plain.ar(f_t, f_r), lateral.ar(f_t, f_r), atol=1e-6), "folded weights give another θ"
    return "lateral θ: only shift and shear learn; folded weights load as a plain affine CPNet"


def main() -> int:
    torch.set_num_threads(2)
    passed = failed = 0
    for check in (check_widths_and_padding, check_safetensors_round_trip, check_initial_weights, check_config_extends, check_restore_keeps_valid_pixels,
                  check_forward_train_equals_restore, check_training_step, check_alignment_stage, check_filmed_inputs,
                  check_lateral_theta):
        try:
            print(f"ok: {check()}")
            passed += 1
        except AssertionError as e:
            print(f"FAILED {check.__name__}: {e}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
