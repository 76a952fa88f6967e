import pytest

from inference import build_tiny, tiny_preset, unload_all


@pytest.fixture(scope="session")
def tiny_presets(tmp_path_factory):
    """The tiny Wan and LTX models, built once per test session."""
    root = tmp_path_factory.mktemp("models")
    wan = tiny_preset(build_tiny(root / "tiny-wan", "wan"), "wan")
    ltx = tiny_preset(build_tiny(root / "tiny-ltx", "ltx"), "ltx")
    return {wan.name: wan, ltx.name: ltx}


@pytest.fixture(autouse=True)
def cold_pipelines():
    """Each test starts with no warm pipeline, so load counts are its own."""
    unload_all()
    yield
    unload_all()
