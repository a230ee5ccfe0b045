"""How long does a frame of the live 2D view cost the kernel?

    python -m benchmarks.widgets              # a table, about half a minute on a 2-core CPU
    python -m benchmarks.widgets --frames 20  # fewer frames (noisier)

A frame of ganlab.live.LiveView is: D on a 48 x 48 grid (the heatmap), 300 samples of G
and their gradients (the arrows), G on the warped noise grid (9 + 9 lines of 25 points),
then those arrays as bytes into the canvas's traits (one message to the page). The page
paints them in JavaScript; that part runs in the browser, not here, and is not timed.
This times the Python side, compute and serialize, for the views of notebooks 02, 05 and
06, and, for scale, the same moment drawn as a matplotlib PNG (LiveView.figure(), what
the series' matplotlib live view cost per frame before the canvas replaced it).
The target is a median under 20 ms. Training steps between frames are not counted.
"""
import argparse
import statistics
import time

import torch


def _timed(fn, frames):
    fn()                                            # warm-up (first calls allocate)
    out = []
    for _ in range(frames):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def views():
    from ganlab.live import LiveView

    return {
        "02: drawn target (two clusters)": LiveView(target="draw", preset="two clusters"),
        "05: WGAN-GP critic on ring8": LiveView(target="ring8", loss="wgan-gp"),
        "06: ring8, minibatch std + packing + unrolling, timeline": LiveView(
            target="ring8", remedies=LiveView.REMEDIES, on=LiveView.REMEDIES, timeline=True),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--matplotlib-frames", type=int, default=5)
    parser.add_argument("--train-steps", type=int, default=100, help="steps trained before timing")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = []
    print(f"{'view':<58} {'compute':>9} {'whole':>9} {'p90':>9}  (ms per frame, median of {args.frames})")
    for name, view in views().items():
        view.run(args.train_steps, frames=1, progress=False)     # a view mid-training, with a history and a timeline
        compute = _timed(view.frame, args.frames)
        whole = _timed(view.redraw, args.frames)
        row = dict(view=name, compute_ms=1000 * statistics.median(compute), whole_ms=1000 * statistics.median(whole),
                   p90_ms=1000 * sorted(whole)[int(0.9 * (len(whole) - 1))])
        rows.append(row)
        print(f"{name:<58} {row['compute_ms']:9.1f} {row['whole_ms']:9.1f} {row['p90_ms']:9.1f}")
    if args.matplotlib_frames:
        from ganlab.live import LiveView
        from ganlab.plots import figure_png

        view = LiveView(target="ring8")
        whole = _timed(lambda: figure_png(view.figure(), dpi=72), args.matplotlib_frames)
        row = dict(view="ring8 as a matplotlib PNG (LiveView.figure())",
                   whole_ms=1000 * statistics.median(whole), compute_ms=float("nan"),
                   p90_ms=1000 * max(whole))
        rows.append(row)
        print(f"{row['view']:<58} {'':>9} {row['whole_ms']:9.1f} {row['p90_ms']:9.1f}")
    worst = max(r["whole_ms"] for r in rows[:3])
    print(f"\nslowest canvas view: {worst:.1f} ms per frame (target: under 20 ms)")
    return rows


if __name__ == "__main__":
    main()
