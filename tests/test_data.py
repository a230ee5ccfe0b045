import gzip
import shutil

import pytest
import torch

from ganlab import data


@pytest.mark.parametrize("name", data.TOY_NAMES)
def test_toy_shapes_and_seed(name):
    x = data.toy(name, 500, seed=1)
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.equal(x, data.toy(name, 500, seed=1))
    assert not torch.equal(x, data.toy(name, 500, seed=2))
    assert torch.isfinite(x).all()


def test_ring8_matches_its_definition():
    centres, std = data.toy_modes("ring8")
    assert std == 0.01 and centres.shape == (8, 2)
    assert torch.allclose(centres.norm(dim=1), torch.ones(8))         # radius 1
    x = data.toy("ring8", 8000, seed=0)
    d, nearest = torch.cdist(x, centres).min(1)
    assert d.max() < 6 * std                                           # every point near a centre
    counts = torch.bincount(nearest, minlength=8)
    assert counts.min() > 800                                          # all 8 used, about evenly
    # spread around a centre is the std in each coordinate
    assert abs((x - centres[nearest]).std().item() - std) < 0.001


def test_grid25_centres_and_std():
    centres, std = data.toy_modes("grid25")
    assert std == 0.05
    assert sorted(set(centres[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    assert len({tuple(c) for c in centres.tolist()}) == 25


def test_unknown_and_modeless_names_explain_themselves():
    with pytest.raises(ValueError, match="ring8"):
        data.toy("ring9", 10)
    with pytest.raises(ValueError, match="no discrete modes"):
        data.toy_modes("spiral")


def test_mnist_offline_fallback_uses_shipped_test_split(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path))      # nothing on disk here
    monkeypatch.setenv("GANLAB_OFFLINE", "1")            # and no download
    images, labels = data.mnist(device="cpu")
    assert "8,000 of the 10,000 MNIST test digits shipped" in capsys.readouterr().out
    assert images.shape == (8000, 1, 28, 28) and labels.shape == (8000,)
    assert images.min() == -1 and images.max() == 1
    # the first MNIST test digits, as published: 7 2 1 0 4 1 4 9 5 9; digits 4 and 9 are held out
    assert labels[:8].tolist() == [7, 2, 1, 0, 1, 4, 9, 5]
    # a '1' has far fewer ink pixels than a '0'
    ink = (images > 0).flatten(1).sum(1).float()
    assert ink[labels == 1].mean() < 0.6 * ink[labels == 0].mean()


def test_mnist_test_split_needs_no_download(capsys):
    images, labels = data.mnist("test", device="cpu")
    assert images.shape == (10000, 1, 28, 28)
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="split"):
        data.mnist("validation")


def test_truncated_file_gives_clear_error(tmp_path):
    for f in data.SHIPPED.glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "t10k-images-idx3-ubyte.gz"
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataFileError, match="t10k-images-idx3-ubyte.gz.*corrupt or truncated"):
        data.shipped_mnist(tmp_path)
    target.unlink()
    with pytest.raises(data.DataFileError, match="missing"):
        data.shipped_mnist(tmp_path)


def test_idx_parser_reads_a_hand_made_file():
    payload = bytes(range(6))
    buf = b"\x00\x00\x08\x02" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + payload
    arr = data._parse_idx(gzip.decompress(gzip.compress(buf)), "hand-made")
    assert arr.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(data.DataFileError, match="header"):
        data._parse_idx(buf[:-1], "short")
