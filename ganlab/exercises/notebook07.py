"""Checks for notebook 07's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import torch

from . import _exercise, _close


@_exercise("07.1", "a function projection_score(phi, w, b, table, labels) -> D's raw scores (B, 1)")
def _projection_score(answer):
    from torch import nn

    gen = torch.Generator().manual_seed(7)
    phi, labels = torch.randn(6, 5, generator=gen), torch.tensor([0, 2, 2, 3, 1, 0])
    head, embed = nn.Linear(5, 1), nn.Linear(4, 5, bias=False)        # 4 classes, 5 features
    with torch.no_grad():
        for t in (head.weight, head.bias, embed.weight):
            t.copy_(torch.randn(t.shape, generator=gen))
        table = embed.weight.T.clone()                                 # (n_classes, h): row y is e_y
        want = head(phi) + (embed(torch.eye(4)[labels]) * phi).sum(1, keepdim=True)
        got = torch.as_tensor(answer(phi, head.weight.clone(), head.bias.clone(), table, labels)).float()
    if got.numel() != 6:
        return False, f"expected 6 scores, one per row of phi, got shape {tuple(got.shape)}"
    ok = torch.allclose(got.reshape(6, 1), want, atol=1e-5)
    if ok and got.shape != (6, 1):
        return False, (f"the right numbers, but shaped {tuple(got.shape)}: a discriminator gives (B, 1). "
                       f"Hint: sum with keepdim=True, or reshape(-1, 1).")
    return ok, ("w·φ(x) + b + e_y·φ(x): the usual score plus how much the features look like class y." if ok else
                "Hint: phi @ w.T + b gives the unconditional part (B, 1); table[labels] picks e_y for each row; "
                "multiply it with phi element by element and sum over the features (keepdim=True).")


@_exercise("07.2", "how many weights the label adds to the first layer of recipes.conditional_mnist()'s generator")
def _label_weights(answer):
    from .. import recipes

    target = 10 * recipes.CONDITIONAL_MNIST["g_hidden"][0]        # one column of the first layer per class
    ok = _close(answer, target, 0.5)
    return ok, (f"{target:,}: the first layer maps 74 inputs to {recipes.CONDITIONAL_MNIST['g_hidden'][0]}; the "
                f"10 one-hot inputs each own one column of it, one learned vector per digit." if ok else
                "Hint: the first layer's weight matrix is (hidden, style_dim + 10); which of its columns "
                "multiply the label? (Biases do not depend on the label.)")
