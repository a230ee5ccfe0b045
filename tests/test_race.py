import pytest
import torch

import ganlab
from ganlab import race, recipes


@pytest.fixture(scope="module")
def images():
    return ganlab.data.mnist("test", device="cpu")[0][:400]


def small_dcgan(seed=0, device=None):
    return recipes.dcgan_tuned(width=4, d_width=4, batch_size=16, autocast=None, seed=seed, device="cpu")


def small_mlp(seed=0, device=None):
    return recipes.mlp_mnist(g_hidden=(32,), d_hidden=(32,), batch_size=32, seed=seed, device="cpu")


def test_scored_points_fall_on_even_times_and_on_the_given_image_counts(images):
    gan = small_dcgan()
    log = race.scored(gan, images, seconds=3.0, points=3, images=(32, 64, 10**9), n=50)
    at_time = [p for p in log if p["at"] == "time"]
    at_images = [p for p in log if p["at"] == "images"]
    assert len(at_time) == 3 and [p["seconds"] for p in at_time] == sorted(p["seconds"] for p in at_time)
    assert at_time[-1]["seconds"] >= 3.0 and at_time[-1]["step"] == gan.step     # training ends at the last point
    for k, p in enumerate(at_time, 1):
        assert p["seconds"] >= k - 1e-9                     # never scored before its time
    # exactly the counts asked for (multiples of the batch of 16), the unreachable one skipped
    assert [p["images"] for p in at_images] == [32, 64] and [p["step"] for p in at_images] == [2, 4]
    assert all(0 <= p["confident"] <= 1 and p["frechet"] > 0 for p in log)
    assert log[-1]["step"] == gan.step and race.images_seen(gan) == gan.step * 16


def test_run_scores_later_contenders_at_the_first_ones_image_counts(images):
    result = race.run({"dcgan": small_dcgan, "mlp": small_mlp}, images, seconds=0.6, seeds=2, points=2, n=50,
                      progress=False)
    assert list(result) == ["dcgan", "mlp"] and all(len(logs) == 2 for logs in result.values())
    for seed in range(2):
        marks = [p["images"] for p in result["dcgan"][seed] if p["at"] == "time"]
        got = [p["images"] for p in result["mlp"][seed] if p["at"] == "images"]
        # the MLP's batch is 32: it is scored at the first multiple of 32 at or past each count
        assert got == [-(-m // 32) * 32 for m in marks][:len(got)] and len(got) >= 1
    assert "dcgan" in race.table(result) and "equal seconds" in race.table(result, at="time")


def _log(at, values):
    return [dict(seconds=i + 1.0, step=i, images=100 * (i + 1), at=at, confident=c, frechet=f, digits_present=10,
                 inception=5.0) for i, (c, f) in enumerate(values)]


def test_points_average_over_seeds_and_wins_need_both_scores():
    b = [(0.5, 50), (0.4, 50), (0.7, 35)]
    a1, a2 = [(0.1, 90), (0.5, 40), (0.6, 30)], [(0.3, 70), (0.7, 20), (0.6, 50)]
    result = {"a": [_log("images", a1), _log("images", a2)],
              "b": [_log("images", b), _log("images", b)]}
    pa = race.points(result, "a", "images")
    assert [round(p["confident"], 6) for p in pa] == [0.2, 0.6, 0.6]
    assert pa[1]["frechet"] == 30 and pa[1]["frechet_low"] == 20 and pa[1]["frechet_high"] == 40
    # a wins the second point on both scores; at the third it is less confident (0.6 < 0.7): no win
    assert race.wins(result, "a", "b") == (1, 2)
    assert race.points(result, "a", "time") == []


def test_images_seen_counts_every_critic_update():
    from ganlab import recipes

    gan = recipes.toy_gan(hidden=(8,), batch_size=16, n_critic=3)
    updates = []
    real_d_update = gan.d_update
    gan.d_update = lambda real, fake: updates.append(real.shape[0]) or real_d_update(real, fake)
    gan.fit(ganlab.data.toy("ring8", 200, seed=0), steps=2, progress=False)
    assert race.images_seen(gan) == sum(updates) == 2 * 3 * 16


def test_at_images_trains_to_each_count_and_scores_as_a_fresh_run_would(images):
    gan = small_dcgan()
    log = race.at_images(gan, images, (30, 64, 100), n=50)
    # the first step at or past each count, batches of 16
    assert [p["images"] for p in log] == [32, 64, 112] and [p["step"] for p in log] == [2, 4, 7]
    assert all(p["at"] == "images" and 0 <= p["confident"] <= 1 and p["frechet"] > 0 for p in log)
    assert gan.step == 7 and log[0]["seconds"] <= log[-1]["seconds"]
    # a run of the same recipe trained 4 steps in one call, scored on the same fixed noise, agrees
    other = small_dcgan()
    other.fit(images, steps=4, progress=False)
    same = ganlab.classifier.digit_scores(other.sample(z=other.noise(50, seed=1)))
    assert same["frechet"] == pytest.approx(log[1]["frechet"], rel=1e-4)
    assert same["confident"] == log[1]["confident"]


def test_image_counts_are_every_scored_count_of_one_contender_once():
    result = {"a": [_log("images", [(0.1, 9), (0.2, 8)]) + _log("time", [(0.1, 9), (0.3, 7), (0.4, 6)]),
                    _log("images", [(0.1, 9), (0.2, 8)]) + _log("time", [(0.1, 9), (0.3, 7), (0.4, 6)])]}
    # the "time" points repeat the counts 100 and 200 and add 300
    assert race.image_counts(result, "a") == [100, 200, 300]


def test_lead_finds_where_one_recipe_stops_leading_and_the_other_leads_for_good():
    def pt(confident, frechet):
        return dict(confident=confident, frechet=frechet)
    # a ahead, ahead, mixed (more confident but a worse Fréchet), b ahead, a ahead again, b ahead, b ahead
    a = [pt(.5, 50), pt(.6, 40), pt(.62, 35), pt(.63, 33), pt(.7, 20), pt(.64, 30), pt(.65, 29)]
    b = [pt(.3, 90), pt(.5, 60), pt(.60, 30), pt(.66, 25), pt(.6, 25), pt(.70, 15), pt(.72, 12)]
    assert race.lead(a, b) == (2, 5)
    assert race.lead(a[:2], b[:2]) == (2, None)          # a ahead throughout: b never leads
    assert race.lead(b[3:4], a[3:4]) == (1, None)
    assert race.lead(a[3:], b[3:]) == (0, 2)


def test_per_image_numbers_state_the_lead_its_end_and_the_same_seed_gap():
    def pt(images, confident, frechet, at="images"):
        return dict(images=images, confident=confident, frechet=frechet, at=at, seconds=0, step=0)
    dcgan = [pt(100, .5, 50), pt(200, .6, 40), pt(300, .62, 35), pt(400, .63, 30)]
    mlp = [pt(100, .3, 90), pt(200, .55, 45), pt(300, .66, 30), pt(400, .7, 20)]
    result = {race.DCGAN: [[pt(190, .58, 42, "time"), pt(410, .60, 33, "time")]], race.MLP: [[]]}
    n = {key: value for key, (value, fmt, label) in race.per_image_numbers(dcgan, mlp, result).items()}
    assert n["lead_last_images"] == 200 and n["mlp_ahead_images"] == 300 and n["last_images"] == 400
    assert abs(n["lead_last_margin"] - 5.0) < 1e-9                 # 60% against 55% at 200 images
    assert n["seed0_race_confident"] == .60 and n["seed0_long_confident"] == .63   # nearest to 410 images: 400
    assert n["mlp_last_confident"] == .7 and n["dcgan_last_frechet"] == 30
