import matplotlib
import pytest
import torch

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _small_cpu():
    torch.set_num_threads(2)
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
