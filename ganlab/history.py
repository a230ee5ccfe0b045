"""A GAN's history: one entry per training step, as a dict of lists.

    gan.history["d_loss"][-1]                  # D's loss at the last step
    history.recent_means(gan.history, n=1000)  # each number averaged over the last 1000 steps
"""
KEYS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "time")


def empty():
    return {k: [] for k in KEYS}


def append(history, record):
    """Add one step's record (a dict with every key of KEYS) to `history`."""
    for k in KEYS:
        history[k].append(record[k])


def recent_means(history, n=1000):
    """Each history number (d_loss, g_loss, d_real, d_fake) averaged over the last n steps.

    Counted in steps, not entries: a shipped reference model keeps only every k-th step."""
    if not history["step"]:
        raise ValueError("the history is empty: train first (gan.fit)")
    last = history["step"][-1]
    keep = max(1, sum(step > last - n for step in history["step"]))
    return {k: sum(history[k][-keep:]) / keep for k in ("d_loss", "g_loss", "d_real", "d_fake")}
