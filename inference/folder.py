"""Reading a diffusers model folder before anything heavy is loaded, with errors that name the fix."""

from __future__ import annotations

import json
from pathlib import Path

from inference.types import ModelFolderError

# The pipeline classes we support, by the _class_name in model_index.json.
PIPELINE_FAMILIES = {
    "WanPipeline": "wan",
    "LTXPipeline": "ltx",
    "WanImageToVideoPipeline": "wan",
    "LTXImageToVideoPipeline": "ltx",
}
# The image-to-video pipeline class that runs a folder of each supported class.
IMAGE_TO_VIDEO = {
    "WanPipeline": "WanImageToVideoPipeline",
    "LTXPipeline": "LTXImageToVideoPipeline",
    "WanImageToVideoPipeline": "WanImageToVideoPipeline",
    "LTXImageToVideoPipeline": "LTXImageToVideoPipeline",
}
REQUIRED_COMPONENTS = ("transformer", "vae", "text_encoder", "tokenizer", "scheduler")


def read_model_index(path: Path) -> dict:
    """The folder's model_index.json, checked: a supported pipeline with every component present."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFolderError(
            f"Model folder {path} does not exist. Build the tiny model with "
            f"`python -m inference build-tiny {path}`, or point INFERENCE_MODEL_PATH at a checkpoint "
            "in diffusers format (docs/inference.md)."
        )
    index_file = path / "model_index.json"
    try:
        index = json.loads(index_file.read_text())
    except FileNotFoundError:
        raise ModelFolderError(
            f"{path} has no model_index.json, so it is not a diffusers pipeline folder. Download the "
            "diffusers-format checkpoint (for example Wan-AI/Wan2.1-T2V-1.3B-Diffusers), not the original one."
        ) from None
    except ValueError as exc:
        raise ModelFolderError(f"{index_file} is not valid JSON ({exc}); download it again.") from exc
    class_name = index.get("_class_name")
    if class_name not in PIPELINE_FAMILIES:
        raise ModelFolderError(
            f"{path} holds a {class_name or 'unnamed'} pipeline; supported: {', '.join(PIPELINE_FAMILIES)}."
        )
    missing = [name for name in REQUIRED_COMPONENTS if not (path / name).is_dir()]
    if missing:
        raise ModelFolderError(f"{path} lacks the component folders {', '.join(missing)}; the download is incomplete.")
    return index


def family_of(path: Path) -> str:
    """The family ("wan" or "ltx") of a diffusers folder, read from its model_index.json."""
    return PIPELINE_FAMILIES[read_model_index(path)["_class_name"]]
