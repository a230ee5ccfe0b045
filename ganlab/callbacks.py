"""What runs around the training loop's steps, each small: the progress bar, a learning-rate
schedule, and the stop button that lets the step under way finish.

    gan.fit(data, seconds=60, lr_schedule=ganlab.training.linear_decay)
"""
import contextlib
import signal
import threading

from tqdm.auto import tqdm


def linear_decay(progress):
    """A learning-rate schedule for fit(lr_schedule=...): the factor 1 - progress, from 1 down to 0."""
    return 1.0 - progress


class LrSchedule:
    """Sets both optimizers' learning rates to base · schedule(progress) before each step;
    restore() puts the base rates back (fit does it when it returns)."""

    def __init__(self, schedule, *optimizers):
        self.schedule = schedule
        self.groups = [g for opt in optimizers for g in opt.param_groups]
        self.base = [g["lr"] for g in self.groups]

    def before_step(self, progress):
        if self.schedule is not None:
            for g, lr in zip(self.groups, self.base):
                g["lr"] = lr * self.schedule(min(progress, 1.0))

    def restore(self):
        for g, lr in zip(self.groups, self.base):
            g["lr"] = lr


class Progress:
    """fit's tqdm bar: in steps, or in seconds with the time left for a time budget."""

    def __init__(self, name, steps, seconds, show):
        self.seconds = seconds
        if seconds is None:
            self.bar = tqdm(total=int(steps), desc=f"{name} GAN", disable=not show)
        else:
            self.bar = tqdm(total=round(seconds), unit="s", desc=f"{name} GAN, {seconds:.0f} s", disable=not show,
                            bar_format="{l_bar}{bar}| {n:.0f}/{total} s [{remaining} left{postfix}]")

    def after_step(self, record, now):
        if self.seconds is None:
            self.bar.update(1)
        elif record["step"] % 20 == 0:
            self.bar.n = min(now, self.seconds)
            self.bar.refresh()
        if record["step"] % 50 == 0:
            self.bar.set_postfix(step=record["step"], D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}")

    def close(self):
        self.bar.close()


@contextlib.contextmanager
def finish_the_step_on_interrupt():
    """While fit runs, Ctrl-C (SIGINT, the notebook's stop button) lets the step under way
    finish and then stops: a step is never half applied. A second press stops at once."""
    pressed = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def press(signum, frame):
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)

    before = signal.signal(signal.SIGINT, press)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, before if before is not None else signal.default_int_handler)
