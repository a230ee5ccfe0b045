"""Checks for notebook 06's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import torch
from torch import nn

from . import _exercise, _number, _close, _own_random_stream, _module


@_exercise("06.1", "(modes covered, high-quality fraction) for 2,500 samples exactly on 5 grid centres")
def _five_spots(answer):
    from .. import data, metrics

    centres, _ = data.toy_modes("grid25")
    cov = metrics.mode_coverage(centres[[0, 6, 12, 18, 24]].repeat_interleave(500, 0), "grid25")
    want = (cov["covered"], cov["high_quality"])
    ok = (isinstance(answer, (tuple, list)) and len(answer) == 2 and _number(answer[0]) == want[0]
          and _close(answer[1], want[1], 1e-6))
    return ok, ("(5, 1.0): every sample is perfect, and only 5 modes have one. Quality alone "
                "cannot see collapse." if ok else
                "Hint: a sample exactly on a centre is 0 std from it. Which modes have a high-quality "
                "sample as their nearest?")


@_exercise("06.2", "all 25 modes covered but 40% high quality: the two likeliest pictures (letters)")
def _low_quality(answer):
    ok = isinstance(answer, str) and sorted(answer.strip().lower()) == ["a", "c"]
    return ok, ("Samples spread between the modes, or bridges joining them: the generator is a "
                "continuous map from one blob of noise, so it has to pass through the gaps somewhere." if ok else
                "Hint: covering every mode rules out collapse onto a few; copies of training data "
                "would all be high quality. Where are the other 60%?")


@_exercise("06.3", "an nn.Module class PackedDiscriminator(dim, pack, hidden): (B, dim) -> scores "
                   "(B / pack, 1), each of `pack` consecutive samples side by side, then an MLP")
def _packed_discriminator(answer):
    from .. import models

    if isinstance(answer, nn.Module):
        return False, ("Pass the class itself, PackedDiscriminator, not an instance: the check builds it "
                       "with two pack sizes. Hint: answer_3 = PackedDiscriminator.")
    for dim, pack, hidden in ((2, 4, (32, 32)), (3, 2, (16,))):
        with _own_random_stream(0):
            d = _module(answer, dim, pack, hidden).eval()
            x = torch.randn(6 * pack, dim)
            with torch.no_grad():
                scores = d(x)
                if scores.shape not in ((6, 1), (6,)):
                    return False, (f"PackedDiscriminator({dim}, {pack}, {hidden}) gave scores of shape "
                                   f"{tuple(scores.shape)} for {6 * pack} samples; {6 * pack} samples in packs "
                                   f"of {pack} make 6 scores, shape (6, 1). Hint: x.reshape(-1, pack * dim).")
                scores = scores.reshape(-1)
                for j in (0, 1, pack, 6 * pack - 1):           # nudge one sample: which scores move?
                    nudged = x.clone()
                    nudged[j] += 1.0
                    moved = ((d(nudged).reshape(-1) - scores).abs() > 1e-6).nonzero().reshape(-1).tolist()
                    if moved != [j // pack]:
                        return False, (f"with pack {pack}, changing sample {j} changed the score(s) of pack(s) "
                                       f"{moved}; it belongs to pack {j // pack} only. Hint: pack k holds the "
                                       f"consecutive samples k*pack ... k*pack + pack - 1, as models.Pack's "
                                       f"x.reshape(B // pack, pack * dim) groups them.")
                swapped = x.clone()
                swapped[[0, 1]] = x[[1, 0]]
                if abs(d(swapped).reshape(-1)[0] - scores[0]) < 1e-6:
                    return False, ("swapping two samples inside a pack left its score unchanged: your "
                                   "discriminator treats a pack as a set (an average of the samples?). "
                                   "Hint: PacGAN puts the samples side by side, in order, into one longer row.")
            # the same weights in ganlab's packed MLP, fed packs concatenated one by one
            reference = models.mlp_discriminator(in_shape=(dim,), hidden=hidden, pack=pack).eval()
        mine = [m for m in d.modules() if isinstance(m, nn.Linear)]
        theirs = [m for m in reference.modules() if isinstance(m, nn.Linear)]
        shapes = [tuple(m.weight.shape) for m in mine]
        if shapes != [tuple(m.weight.shape) for m in theirs] or any(m.bias is None for m in mine):
            return False, (f"PackedDiscriminator({dim}, {pack}, {hidden}) has linear layers of weight shapes "
                           f"{shapes}; models.mlp_discriminator(in_shape=({dim},), hidden={hidden}, pack={pack}) "
                           f"has {[tuple(m.weight.shape) for m in theirs]}, each with a bias. Hint: the first "
                           f"layer takes pack * dim inputs, the last gives one score.")
        with torch.no_grad():
            for a, b in zip(mine, theirs):
                b.weight.copy_(a.weight)
                b.bias.copy_(a.bias)
            packs = torch.stack([torch.cat([x[k * pack + i] for i in range(pack)]) for k in range(6)])
            want = reference(packs).reshape(-1)
        if not torch.allclose(scores, want, atol=1e-5):
            return False, ("Given your weights, ganlab's packed discriminator scores these packs differently. "
                           "Hint: inside a row, sample 0's features come first, then sample 1's, and so on; "
                           "after each hidden layer a LeakyReLU(0.2), after the last layer nothing.")
    return True, ("Consecutive samples side by side, then one MLP: ganlab's packed discriminator, whose "
                  "first layer, models.Pack, does the same packing.")


@_exercise("predict 06.1", "at the PacGAN paper's settings, for a few thousand of its 400,000 steps on the ring: "
                    "(a) packing covers more modes than the plain GAN; (b) every variant covers all 8 modes, and "
                    "packing's share of high-quality samples is no higher than the plain GAN's; (c) packing "
                    "covers fewer modes")
def _packing_on_the_ring(answer):
    from .. import results

    if not (isinstance(answer, str) and answer.strip().lower() in ("a", "b", "c")):
        return False, 'answer with one letter, "a", "b" or "c".'
    ref = {n: (results.reference("06b", f"pacgan_ring8_{n}_modes"), results.reference("06b", f"pacgan_ring8_{n}_hq"))
           for n in ("GAN", "PacGAN2", "PacGAN4")}
    if any(v is None for pair in ref.values() for v in pair):
        return False, "the reference run's numbers for appendix 06b, section 1, are missing from ganlab/_data/results.json."
    modes = {n: m for n, (m, _) in ref.items()}
    if max(modes["PacGAN2"], modes["PacGAN4"]) > modes["GAN"]:
        measured = "a"
    elif min(modes["PacGAN2"], modes["PacGAN4"]) < modes["GAN"]:
        measured = "c"
    else:
        measured = "b" if max(ref["PacGAN2"][1], ref["PacGAN4"][1]) <= ref["GAN"][1] + 0.02 else "a"
    ok = answer.strip().lower() == measured
    table = "; ".join(f"{n} {m:g} modes, {hq:.0%} high quality" for n, (m, hq) in ref.items())
    return ok, (f"The reference run (5 seeds): {table}. "
                + ("On the ring the plain GAN already covers every mode at these settings, so packing has "
                   "nothing to win there yet, and a wider D costs it time per step." if ok else
                   "Hint: at these settings, how many of the ring's 8 modes is there left for packing to win?"))
