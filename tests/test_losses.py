import math

import pytest
import torch

from ganlab import losses

LOG2 = math.log(2)
REAL = torch.tensor([[2.0], [0.0]])
FAKE = torch.tensor([[-1.0], [0.5]])


def sig(x):
    return 1 / (1 + math.exp(-x))


# values worked by hand from each formula in losses.py's table, for REAL and FAKE above
HAND = {
    "minimax": (-(math.log(sig(2)) + math.log(sig(0))) / 2 - (math.log(1 - sig(-1)) + math.log(1 - sig(0.5))) / 2,
                (math.log(1 - sig(-1)) + math.log(1 - sig(0.5))) / 2),
    "non-saturating": (-(math.log(sig(2)) + math.log(sig(0))) / 2 - (math.log(1 - sig(-1)) + math.log(1 - sig(0.5))) / 2,
                       -(math.log(sig(-1)) + math.log(sig(0.5))) / 2),
    "wasserstein": (-(2 + 0) / 2 + (-1 + 0.5) / 2, -(-1 + 0.5) / 2),
    "wgan-gp": (-(2 + 0) / 2 + (-1 + 0.5) / 2, -(-1 + 0.5) / 2),
    "least-squares": (0.5 * ((2 - 1) ** 2 + (0 - 1) ** 2) / 2 + 0.5 * (1 + 0.25) / 2,
                      0.5 * ((-1 - 1) ** 2 + (0.5 - 1) ** 2) / 2),
    "hinge": ((0 + 1) / 2 + (0 + 1.5) / 2, -(-1 + 0.5) / 2),
}


@pytest.mark.parametrize("name", losses.names())
def test_values_match_hand_computation(name):
    loss = losses.get(name)
    d, parts = loss.d_loss(REAL, FAKE)
    want_d, want_g = HAND[name]
    assert d.item() == pytest.approx(want_d, abs=1e-6)
    assert (parts["real"] + parts["fake"]).item() == pytest.approx(want_d, abs=1e-6)
    assert loss.g_loss(FAKE).item() == pytest.approx(want_g, abs=1e-6)


def test_both_terms_at_even_odds():
    # D(x) = D(G(z)) = 1/2: the discriminator's loss is 2 log 2, the minimax G loss -log 2
    zero = torch.zeros(4, 1)
    loss = losses.get("minimax")
    assert loss.d_loss(zero, zero)[0].item() == pytest.approx(2 * LOG2)
    assert loss.g_loss(zero).item() == pytest.approx(-LOG2)
    assert losses.get("non-saturating").g_loss(zero).item() == pytest.approx(LOG2)


@pytest.mark.parametrize("name", losses.names())
def test_gradient_directions(name):
    """Minimising G's loss raises fake scores; minimising D's raises real, lowers fake."""
    loss = losses.get(name)
    real = torch.tensor([[0.3], [-0.2]], requires_grad=True)
    fake = torch.tensor([[0.4], [0.1]], requires_grad=True)     # above LSGAN's fake target 0
    loss.d_loss(real, fake)[0].backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()
    fake2 = fake.detach().clone().requires_grad_(True)
    loss.g_loss(fake2).backward()
    assert (fake2.grad < 0).all()


def test_minimax_saturates_where_non_saturating_does_not():
    # early on D confidently rejects fakes: s = -6, D(G(z)) ≈ 0.0025
    s = torch.tensor([[-6.0]], requires_grad=True)
    losses.get("minimax").g_loss(s).backward()
    weak = s.grad.abs().item()
    s.grad = None
    losses.get("non-saturating").g_loss(s).backward()
    strong = s.grad.abs().item()
    assert weak == pytest.approx(sig(-6), rel=1e-4)          # d/ds log(1 - σ(s)) = -σ(s)
    assert strong == pytest.approx(1 - sig(-6), rel=1e-4)    # d/ds -log σ(s) = -(1 - σ(s))
    assert strong > 300 * weak


def test_gradient_penalty_for_a_linear_critic():
    # s(x) = w·x has gradient w everywhere: penalty = (‖w‖ - 1)^2, whatever α is
    w = torch.tensor([3.0, 4.0])
    pen = losses.gradient_penalty(lambda x: x @ w[:, None], torch.randn(8, 2), torch.randn(8, 2))
    assert pen.item() == pytest.approx((5 - 1) ** 2)


def test_gradient_penalty_per_sample_against_hand_computation():
    # s(x) = ½‖x‖², ∇s(x̂) = x̂: penalty = mean_i (‖x̂_i‖ - 1)^2 with x̂_i = α_i r_i + (1-α_i) f_i
    real = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    fake = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 4.0]])
    gen = torch.Generator().manual_seed(5)
    pen = losses.gradient_penalty(lambda x: 0.5 * (x ** 2).sum(1, keepdim=True), real, fake, generator=gen)
    alpha = torch.rand(3, generator=torch.Generator().manual_seed(5)).tolist()
    hand = 0.0
    for a, r, f in zip(alpha, real.tolist(), fake.tolist()):
        mixed = [a * ri + (1 - a) * fi for ri, fi in zip(r, f)]
        hand += (math.hypot(*mixed) - 1) ** 2 / 3
    assert pen.item() == pytest.approx(hand, rel=1e-5)


def test_registry_defaults_and_errors():
    assert losses.get("wasserstein").clip_value == 0.01
    assert losses.get("wgan-gp").penalty_weight == 10
    assert losses.get("wgan_gp", penalty_weight=5).penalty_weight == 5
    assert losses.get("Non_Saturating").name == "non-saturating"
    with pytest.raises(ValueError) as err:
        losses.get("vanilla")
    for name in losses.names():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="no option"):
        losses.get("hinge", clip_value=1)
