"""Run a reader's own training loop on a small problem, watch it, and say what went wrong.

    watch, error = run(train, G, D, data, steps=600, latent_dim=2)   # the reader's train(G, D, ...)
    bce_mistakes(watch, 600)             # [] or a hint for each thing the loop did wrong

run() hands the loop wrappers of G and D and records every optimizer step while it runs.

The wrappers change nothing in what G and D compute. D's wrapper records each call: what it
was shown (a real batch, G's output attached to G's graph or detached from it, or a point in
between), its scores s and, when a backward pass reaches them, the gradient of the loss with
respect to s. That gradient says which loss was used: with n scores in a mean,

    D's loss on real, -log sigmoid(s)          ->  -(1 - sigmoid(s)) / n
    D's loss on fake, -log(1 - sigmoid(s))     ->  +sigmoid(s) / n
    G's non-saturating loss, -log sigmoid(s)   ->  -(1 - sigmoid(s)) / n
    G's saturating loss, log(1 - sigmoid(s))   ->  -sigmoid(s) / n
    the Wasserstein losses, mean s             ->  +-1 / n

and the gradient on D's last bias is the sum of the gradients on its scores, so at each step
of D's optimizer the check can tell which backward passes its gradient holds.
"""
import contextlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook


class _Watched(nn.Module):
    def __init__(self, net, watch, role):
        super().__init__()
        self.net, self.watch, self.role = net, watch, role

    def forward(self, x, *labels):
        out = self.net(x, *labels)
        if self.role == "G":
            self.watch.fakes.append((out.detach(), labels[0].detach() if labels else None))
            del self.watch.fakes[:-8]
            return out
        call = dict(kind=self.watch.kind(x), s=out.detach().reshape(-1), grad=None,
                    labels=labels[0].detach() if labels else None, x=x.detach())
        self.watch.calls.append(call)
        if out.requires_grad:
            def save(grad, call=call):
                call["grad"] = grad.detach().reshape(-1).clone() if call["grad"] is None else \
                    call["grad"] + grad.detach().reshape(-1)
                self.watch.events.append(("grad", call))
            out.register_hook(save)
        return out


class Watch:
    """Wrappers for G and D that record what a training loop does with them."""

    def __init__(self, G, D, keep_d=False):
        self.keep_d = keep_d                                 # keep D's weights and gradients at each D step
        self.G, self.D = _Watched(G, self, "G"), _Watched(D, self, "D")
        self.calls, self.events, self.fakes, self.opt_steps = [], [], [], []
        self.d_params = {id(p) for p in D.parameters()}
        self.g_params = {id(p) for p in G.parameters()}
        self.d_bias = [p for p in D.parameters() if p.numel() == 1][-1]      # D's last bias: one per score
        self.first_weights = None

    def kind(self, x):
        if self.first_weights is None:                     # the weights the loop started from
            self.first_weights = [m.weight.detach().clone() for net in (self.G.net, self.D.net)
                                  for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        for fake, _ in self.fakes:
            if x.data_ptr() == fake.data_ptr() or (x.shape == fake.shape and torch.equal(x.detach(), fake)):
                return "fake attached" if x.grad_fn is not None else "fake detached"
        return "between" if x.requires_grad else "real"

    def fake_labels(self, x):
        for fake, labels in self.fakes:
            if x.shape == fake.shape and torch.equal(x, fake):
                return labels
        return None

    @contextlib.contextmanager
    def steps(self):
        def before_step(opt, args, kwargs):
            ids = {id(p) for group in opt.param_groups for p in group["params"]}
            who = "D" if ids <= self.d_params else "G" if ids <= self.g_params else "both"
            grad = self.d_bias.grad
            self.opt_steps.append(dict(who=who, betas=opt.param_groups[0].get("betas"),
                                       d_bias_grad=None if grad is None else grad.detach().sum().item(),
                                       g_grad=[None if p.grad is None else p.grad.detach().clone()
                                               for p in self.G.net.parameters()] if who == "G" else None,
                                       d_state=self._d_state() if who == "D" and self.keep_d else None))
            self.events.append(("step", self.opt_steps[-1]))
        handle = register_optimizer_step_pre_hook(before_step)
        try:
            yield self
        finally:
            handle.remove()

    def _d_state(self):
        named = dict(self.D.net.named_parameters())
        return ({k: p.detach().clone() for k, p in named.items()},
                {k: None if p.grad is None else p.grad.detach().clone() for k, p in named.items()})

    # --- reading the record -------------------------------------------------------------------
    def windows(self, who):
        """For each step of `who`'s optimizer: the D calls whose gradient arrived since its last step."""
        out, current = [], []
        for kind, item in self.events:
            if kind == "grad":
                current.append(item)
            elif item["who"] == who:
                out.append((item, current))
                current = []
        return out

    def graded(self, kind):
        return [c for c in self.calls if c["kind"] == kind and c["grad"] is not None]


def _shape_fit(calls, shape):
    """How well the gradients on these calls' scores follow c * shape(s), c > 0 per call: the
    relative residual (0 = exactly), over calls whose scores vary enough to tell shapes apart."""
    errors = []
    for c in calls:
        want = shape(c["s"])
        if want.numel() < 4 or torch.sigmoid(c["s"]).std() < 0.02:
            continue
        scale = (c["grad"] @ want) / (want @ want).clamp_min(1e-30)
        if scale <= 0:
            errors.append(1.0)
            continue
        errors.append(((c["grad"] - scale * want).norm() / (scale * want).norm().clamp_min(1e-30)).item())
    return None if not errors else sorted(errors)[len(errors) // 2]


def _scale(calls, shape):
    """The median over calls of n * mean(gradient / shape(s)): 1 for a mean over the n scores,
    1/2 for the average of two such means, something else for another loss."""
    scales = sorted((len(c["s"]) * (c["grad"] / shape(c["s"])).mean()).item() for c in calls)
    return scales[len(scales) // 2] if scales else None


def _is_mean(scale):
    return scale is not None and (abs(scale - 1) < 0.1 or abs(scale - 0.5) < 0.05)


# the gradient on a score s for each loss, up to the 1/n of a mean
REAL = lambda s: -(1 - torch.sigmoid(s))                     # -log sigmoid(s): D on real, G non-saturating
FAKE = lambda s: torch.sigmoid(s)                            # -log(1 - sigmoid(s)): D on fake
SATURATING = lambda s: -torch.sigmoid(s)                     # log(1 - sigmoid(s)): G, the 2014 minimax loss
TWICE_REAL = lambda s: -(1 - torch.sigmoid(torch.sigmoid(s))) * torch.sigmoid(s) * (1 - torch.sigmoid(s))


def bce_mistakes(watch, g_steps_expected):
    """Hints for what a standard GAN loop did wrong (D and G playing the BCE game), [] if nothing."""
    w, found = watch, []
    who = [s["who"] for s in w.opt_steps]
    if "both" in who:
        return ["One optimizer updates both players. Hint: one optimizer for D's parameters, one for G's."]
    if who.count("D") == 0 or who.count("G") == 0:
        return [f"Your loop stepped D's optimizer {who.count('D')} times and G's {who.count('G')} times. "
                f"Hint: each iteration, a D step (opt_d.step()) and a G step (opt_g.step())."]
    if abs(who.count("G") - g_steps_expected) > 1:
        found.append(f"asked for {g_steps_expected} steps, your loop made {who.count('G')} G updates. "
                     f"Hint: one D update and one G update per step.")
    real, fake_det, fake_att = w.graded("real"), w.graded("fake detached"), w.graded("fake attached")
    if not real:
        return ["D never learned from a real batch. Hint: score the real batch with D (its own call, "
                "D(real)) in D's loss."]
    real_sign = sum(c["grad"].sum().item() for c in real)
    if real_sign > 0:
        found.append("D's loss pushes real scores down and fake ones up: the labels are swapped. "
                     "Hint: real data gets label 1 (ones), fakes 0 in D's loss; G's loss gives fakes label 1.")
        return found
    d_terms = fake_det + [c for c in fake_att if c["grad"].sum() > 0]
    g_terms = [c for c in fake_att if c["grad"].sum() < 0]
    g_ids = {id(c) for c in g_terms}
    for c in w.calls:
        c["side"] = "G" if id(c) in g_ids else "D"
    if not g_terms:
        found.append("No G loss reached D's scores of an attached fake batch. Hint: G's loss is computed on "
                     "D(fake) with fake = G(z) not detached, so its gradient flows through D into G.")
        return found
    if any(c["grad"].sum() > 0 for c in fake_att):
        found.append("D's loss reached G: in D's step the fakes were not detached, so G's weights got "
                     "gradients from D's loss (and G's graph was used up). Hint: D(fake.detach()) in D's step.")
    if _is_mean(_scale(real, TWICE_REAL)) and not _is_mean(_scale(real, REAL)):
        found.append("Your loss applies a sigmoid to D's scores and then a with-logits loss, which applies "
                     "another: D learns from sigmoid(sigmoid(s)). Hint: pass the raw scores D(x) to "
                     "binary_cross_entropy_with_logits (or use F.logsigmoid).")
        return found
    fit_real = _shape_fit(real, REAL)
    if fit_real is not None and fit_real > 0.05:
        found.append("The gradients D's loss sends to the real scores are not those of -log sigmoid(s). "
                     "Hint: F.binary_cross_entropy_with_logits(D(real), ones) on D's raw scores.")
    fit_ns, fit_sat = _shape_fit(g_terms, REAL), _shape_fit(g_terms, SATURATING)
    if fit_sat is not None and fit_sat < 0.05 and fit_sat < (fit_ns if fit_ns is not None else 1):
        found.append("G minimises log(1 - D(G(z))), the saturating loss. Hint: the non-saturating loss "
                     "has G maximise log D(G(z)): binary_cross_entropy_with_logits(D(fake), ones).")
    # what D's optimizer stepped on: D's last bias gradient is the sum of the gradients on its scores
    for step, window in w.windows("D")[1:]:
        if step["d_bias_grad"] is None:
            continue
        own = sum(c["grad"].sum().item() for c in window if c["side"] == "D")
        all_ = sum(c["grad"].sum().item() for c in window)
        tol = 1e-4 + 1e-3 * sum(c["grad"].abs().sum().item() for c in window)
        if abs(step["d_bias_grad"] - own) < tol:
            continue
        if abs(step["d_bias_grad"] - all_) < tol:
            found.append("D's optimizer stepped on G's loss too: G's backward pass left gradients on D's "
                         "weights, and they were not cleared before D's step. Hint: opt_d.zero_grad() right "
                         "before D's backward pass (and opt_g.zero_grad() before G's).")
        else:
            found.append("D's gradients at its step hold more than this step's loss: gradients from "
                         "earlier steps were never cleared. Hint: opt_d.zero_grad() before d_loss.backward().")
        break
    # G's gradients: fresh ones point in new directions each step; never-cleared ones pile up
    grads = [torch.cat([g.reshape(-1) for g in s["g_grad"] if g is not None]) for s in w.opt_steps
             if s["who"] == "G" and s["g_grad"] and any(g is not None for g in s["g_grad"])]
    if len(grads) > 20:
        later = grads[len(grads) // 2:]
        cos = [F.cosine_similarity(a, b, dim=0).item() for a, b in zip(later, later[1:])]
        if sorted(cos)[len(cos) // 2] > 0.97:
            found.append("G's gradients pile up from step to step (each is nearly the last one plus a "
                         "little). Hint: opt_g.zero_grad() before g_loss.backward().")
    return found


@contextlib.contextmanager
def one_thread():
    """Networks this small train fastest on one thread (and far faster on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run(train, G, D, *args, keep_d=False, **kwargs):
    """Run the reader's train(G, D, ...) on watched G and D; returns (watch, error text or None)."""
    watch = Watch(G, D, keep_d)
    try:
        with watch.steps(), one_thread():
            train(watch.G, watch.D, *args, **kwargs)
    except RuntimeError as err:
        text = str(err)
        if "backward through the graph a second time" in text:
            return watch, ("your loop raised 'Trying to backward through the graph a second time': D's "
                           "backward pass went on into G and used up its graph. Hint: D(fake.detach()) in "
                           "D's step (not retain_graph=True, which hides the mistake).")
        if "modified by an inplace operation" in text:
            return watch, ("your loop raised 'modified by an inplace operation': an optimizer step changed "
                           "weights that a later backward pass still needed. Hint: finish D's step (loss, "
                           "backward, step) before computing G's loss on D.")
        return watch, f"your loop raised RuntimeError: {text[:300]}"
    except TypeError as err:
        return watch, (f"your loop raised TypeError: {err}. Hint: the check calls "
                       f"train(G, D, ...) with the arguments the exercise names.")
    return watch, None


def segments(watch):
    """The D calls whose gradient arrived before each optimizer step, and after the one before it."""
    out, current = [], []
    for kind, item in watch.events:
        if kind == "grad":
            current.append(item)
        else:
            out.append((item, current))
            current = []
    return out


def wgan_mistakes(watch, g_steps_expected, n_critic):
    """Hints for what a WGAN-GP loop did wrong, [] if nothing."""
    w = watch
    who = [s["who"] for s in w.opt_steps]
    if "both" in who:
        return ["One optimizer updates both players. Hint: one optimizer for the critic's parameters, one for G's."]
    n_d, n_g = who.count("D"), who.count("G")
    if n_d == 0 or n_g == 0:
        return [f"Your loop stepped the critic's optimizer {n_d} times and G's {n_g} times. Hint: each "
                f"iteration, n_critic critic steps, then one G step."]
    found = []
    if abs(n_d / n_g - n_critic) > 0.5 or abs(n_g - g_steps_expected) > 1:
        found.append(f"for {g_steps_expected} steps with n_critic={n_critic} your loop made {n_d} critic updates "
                     f"and {n_g} G updates. Hint: each of the `steps` iterations makes n_critic critic updates "
                     f"(each with a fresh real batch and fresh fakes), then one G update.")
    d_side = [c for step, seg in segments(w) if step["who"] == "D" for c in seg]
    g_side = [c for step, seg in segments(w) if step["who"] == "G" for c in seg]
    real = [c for c in d_side if c["kind"] == "real"]
    if not real:
        return found + ["The critic never learned from a real batch. Hint: critic(real) in its loss."]
    if sum(c["grad"].sum().item() for c in real) > 0:
        return found + ["The critic's loss pushes real scores down: its sign is flipped. Hint: the critic "
                        "minimises mean f(fake) - mean f(real)."]
    spread = max((c["grad"].std() / c["grad"].abs().mean()).item() for c in real if len(c["grad"]) > 1)
    if spread > 1e-3:
        return found + ["The gradient on the critic's real scores differs from score to score, so the loss is "
                        "not a plain mean of the scores (a sigmoid or a log?). Hint: WGAN's critic loss is "
                        "mean f(fake) - mean f(real), on the raw scores."]
    if any(c["kind"] == "fake attached" for c in d_side):
        found.append("The critic's loss reached G: the fakes in the critic's step were not detached. "
                     "Hint: fake.detach() for the critic's step.")
    g_terms = [c for c in g_side if c["kind"] == "fake attached"]
    if not g_terms:
        return found + ["G's loss never reached the critic's scores of G's own output. Hint: G's loss is "
                        "-critic(G(z)).mean(), with nothing detached."]
    if sum(c["grad"].sum().item() for c in g_terms) > 0:
        found.append("G's loss pushes the critic's scores of its samples down: its sign is flipped. Hint: "
                     "G minimises -mean f(G(z)): it wants the critic to score its samples high.")
    between = [c for c in d_side if c["kind"] == "between"]
    if not between:
        return found + ["The critic was never asked about points between real and fake: no gradient penalty. "
                        "Hint: x_hat = alpha * real + (1 - alpha) * fake, then the penalty of exercise 05.2 at x_hat."]
    # does the penalty reach the critic's weights? Recompute the gradient of the Wasserstein terms alone
    for step, seg in segments(w):
        if step["who"] != "D" or step["d_state"] is None or not any(c["kind"] == "between" for c in seg):
            continue
        params, grads = step["d_state"]
        live = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        total = sum((torch.func.functional_call(w.D.net, live, (c["x"],)).reshape(-1) * c["grad"]).sum()
                    for c in seg if c["kind"] != "between")
        wasserstein = torch.autograd.grad(total, list(live.values()), allow_unused=True)
        same = all(g is not None and (a is None or torch.allclose(g, a, atol=1e-6))
                   for g, a in zip(grads.values(), wasserstein))
        if same:
            found.append("The penalty never reaches the critic's weights: their gradient is that of the "
                         "Wasserstein terms alone. Hint: torch.autograd.grad(..., create_graph=True), so the "
                         "penalty's own gradient can be taken.")
        break
    return found


def label_mistakes(watch, points, labels):
    """Hints for a conditional loop that shows D the wrong labels, [] if none."""
    for c in watch.calls:
        if c["labels"] is None:
            continue
        if c["kind"] == "real":
            want = labels[torch.cdist(c["x"], points).argmin(1)]
            if not torch.equal(c["labels"].long(), want):
                return ["D was shown real points with labels that are not theirs. Hint: draw one index "
                        "per row, real = points[i], y_real = labels[i], and give D the pair (real, y_real)."]
        elif c["kind"].startswith("fake"):
            asked = watch.fake_labels(c["x"])
            if asked is not None and not torch.equal(c["labels"].long(), asked.long()):
                return ["D judged G's samples with labels other than the ones G was asked to draw. Hint: "
                        "the labels that went into G(z, y_fake) go with its samples into D(fake, y_fake)."]
    return []


def d_accuracy(watch, every=50):
    """D's accuracy on the batches of its own steps (real scored > 0, fakes < 0), averaged over
    runs of `every` calls: a list from the start of training to its end."""
    hits = [((c["s"] > 0) if c["kind"] == "real" else (c["s"] < 0)).float().mean().item()
            for c in watch.calls if c["kind"] == "real" or c["kind"] == "fake detached"]
    return [sum(hits[i:i + every]) / len(hits[i:i + every]) for i in range(0, len(hits), every)]


def verdict(mistakes, error=None):
    """(False, message) for a loop that crashed or made mistakes, None for one that made none."""
    if error:
        return False, error
    if mistakes:
        return False, mistakes[0] + "".join(f" Also: {m}" for m in mistakes[1:])
    return None
