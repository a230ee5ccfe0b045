"""What runs around the training loop's steps, each small: callbacks (a learning-rate
schedule, a function called every k steps, the progress bar) and the stop button that
lets the step under way finish.

    gan.fit(data, seconds=60, lr_schedule=ganlab.callbacks.linear_decay)
    gan.fit(data, steps=1000, callbacks=[ganlab.callbacks.LrSchedule(lambda p: 0.1 ** p)])
"""
import contextlib
import signal
import threading
import time

from tqdm.auto import tqdm


class Callback:
    """Something fit runs around the training steps; a subclass overrides the hooks it needs.

        class Snapshot(Callback):
            def after_step(self, gan, record):
                if record["step"] % 100 == 0: ...
        gan.fit(data, steps=1000, callbacks=[Snapshot()])

    start(gan, steps): fit begins (steps: this call's, or None for a time budget)
    before_step(gan, progress): progress through this call, 0 to 1, by steps or by
        seconds, whichever is further
    after_step(gan, record): the step's history record (a dict)
    finished(gan): the loop ended (its steps done, or the time budget); not after an interrupt
    close(gan): fit returns, however it ends
    """

    def start(self, gan, steps):
        pass

    def before_step(self, gan, progress):
        pass

    def after_step(self, gan, record):
        pass

    def finished(self, gan):
        pass

    def close(self, gan):
        pass


def linear_decay(progress):
    """A learning-rate schedule for fit(lr_schedule=...): the factor 1 - progress, from 1 down to 0."""
    return 1.0 - progress


class LrSchedule(Callback):
    """Sets both optimizers' learning rates to base · schedule(progress) before each step and
    puts the base rates back when fit returns. fit(lr_schedule=f) is fit(callbacks=[LrSchedule(f)])."""

    def __init__(self, schedule):
        self.schedule = schedule

    def start(self, gan, steps):
        self.groups = [g for opt in (gan.d_optimizer, gan.g_optimizer) for g in opt.param_groups]
        self.base = [g["lr"] for g in self.groups]

    def before_step(self, gan, progress):
        for g, lr in zip(self.groups, self.base):
            g["lr"] = lr * self.schedule(min(progress, 1.0))

    def close(self, gan):
        for g, lr in zip(self.groups, self.base):
            g["lr"] = lr


class Every(Callback):
    """Calls function(gan) every `every` steps of a fit call and after its last step
    (fit(callback=f, every=k)); every=None: a tenth of the steps, or 100 for a time budget."""

    def __init__(self, function, every=None):
        self.function, self.every = function, every

    def start(self, gan, steps):
        self.first = self.called_at = gan.step
        self.stop_at = None if steps is None else gan.step + int(steps)
        self.k = self.every or (max(1, int(steps) // 10) if steps is not None else 100)

    def after_step(self, gan, record):
        if (gan.step - self.first) % self.k == 0 or gan.step == self.stop_at:
            self.function(gan)
            self.called_at = gan.step

    def finished(self, gan):                  # stopped by the time budget between two calls
        if self.called_at != gan.step:
            self.function(gan)


class Progress(Callback):
    """fit's tqdm bar: in steps, or in seconds with the time left for a time budget."""

    def __init__(self, name, steps, seconds, show):
        self.seconds, self.started = seconds, time.perf_counter()
        if seconds is None:
            self.bar = tqdm(total=int(steps), desc=f"{name} GAN", disable=not show)
        else:
            self.bar = tqdm(total=round(seconds), unit="s", desc=f"{name} GAN, {seconds:.0f} s", disable=not show,
                            bar_format="{l_bar}{bar}| {n:.0f}/{total} s [{remaining} left{postfix}]")

    def after_step(self, gan, record):
        if self.seconds is None:
            self.bar.update(1)
        elif record["step"] % 20 == 0:
            self.bar.n = min(time.perf_counter() - self.started, self.seconds)
            self.bar.refresh()
        if record["step"] % 50 == 0:
            self.bar.set_postfix(step=record["step"], D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}")

    def close(self, gan):
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
