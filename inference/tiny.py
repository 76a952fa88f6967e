"""The tiny model: a complete, randomly initialised text-to-video pipeline built from code.

It runs the real diffusers denoising loop and VAE decode and yields real frames,
but with random weights those frames are noise. It exists so that the whole
platform (and its tests) can run on a laptop CPU with nothing downloaded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModel,
    PreTrainedTokenizerFast,
    T5Config,
    T5EncoderModel,
    UMT5Config,
    UMT5EncoderModel,
)

# Enough text for a byte-level BPE tokenizer to learn a small vocabulary.
_CORPUS = [
    "a slow dolly shot of a lighthouse at dusk, waves crashing on the rocks",
    "an abstract swirl of ink in water, macro lens, soft light",
    "a cat walking across a piano, cinematic, shallow depth of field",
    "time-lapse of clouds over mountains, golden hour, 35mm film grain",
    "a paper boat drifting down a rainy street at night, neon reflections",
    "close-up of hands shaping clay on a wheel, studio lighting",
    "a flock of birds forming patterns over a city skyline",
    "underwater coral reef with fish, sunlight rays, slow motion",
]
_SPECIAL_TOKENS = ["<pad>", "</s>", "<unk>"]  # T5's order: pad=0, eos=1, unk=2
_SEED = 0


def build_tokenizer(vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained here, so no tokenizer is downloaded."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 4, trainer=trainer)
    # T5 appends an end-of-sequence token to every prompt.
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


def build_text_encoder(vocab_size: int, *, umt5: bool, d_model: int = 32):
    """A two-layer T5 encoder (UMT5 for Wan, as the real checkpoints use)."""
    config_class, model_class = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    config = config_class(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        decoder_start_token_id=0,
    )
    return model_class(config).eval()


def _wan_parts(**transformer_options):
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

    tokenizer = build_tokenizer()
    torch.manual_seed(_SEED)
    text_encoder = build_text_encoder(len(tokenizer), umt5=True)
    torch.manual_seed(_SEED)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    torch.manual_seed(_SEED)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        **transformer_options,
    )
    scheduler = FlowMatchEulerDiscreteScheduler(shift=7.0)
    return dict(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler)


def build_wan():
    from diffusers import WanPipeline

    return WanPipeline(**_wan_parts(in_channels=16))


def build_wan_i2v():
    """Wan2.1's image-to-video layout: a CLIP image encoder whose features the transformer attends to,
    and the start frame's latents and mask beside the noise (16 + 4 + 16 input channels)."""
    from diffusers import WanImageToVideoPipeline

    torch.manual_seed(_SEED)
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            image_size=32,
            patch_size=8,
        )
    ).eval()
    image_processor = CLIPImageProcessor(crop_size=32, size=32)
    parts = _wan_parts(in_channels=36, image_dim=32, added_kv_proj_dim=24)
    return WanImageToVideoPipeline(image_encoder=image_encoder, image_processor=image_processor, **parts)


def build_ltx():
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer = build_tokenizer()
    torch.manual_seed(_SEED)
    text_encoder = build_text_encoder(len(tokenizer), umt5=False)
    torch.manual_seed(_SEED)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(_SEED)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        spatio_temporal_scaling=(True, True, False, False),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_block_out_channels=(8, 8, 8, 8),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    scheduler = FlowMatchEulerDiscreteScheduler()
    return LTXPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )


# The LTX layout needs no image-to-video build of its own: LTX-Video runs both modes on one checkpoint.
BUILDERS = {"wan": build_wan, "ltx": build_ltx, "wan-i2v": build_wan_i2v}


def build_tiny(directory: Path | str, family: str = "wan") -> Path:
    """Build the tiny pipeline of ``family`` and save it in diffusers format at ``directory``.

    The folder is written next to its final place and renamed into it, so a
    reader never sees a half-written model.
    """
    if family not in BUILDERS:
        raise ValueError(f"family must be one of {', '.join(BUILDERS)}, not {family!r}")
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.building-{os.getpid()}")
    pipeline = BUILDERS[family]()
    pipeline.save_pretrained(staging, safe_serialization=True)
    try:
        staging.rename(directory)
    except OSError:
        # Another process finished first (rename onto a non-empty folder fails): keep theirs.
        shutil.rmtree(staging, ignore_errors=True)
        if not (directory / "model_index.json").exists():
            raise
    return directory


def build_tiny_adapter(directory: Path | str, model_path: Path | str, seed: int = _SEED + 1) -> Path:
    """A tiny LoRA adapter (rank 4 on every attention projection) for the tiny Wan model at ``model_path``,
    with random weights from ``seed``, saved as diffusers saves LoRAs. Like the model, it exists so that
    the adapter path runs with nothing downloaded."""
    from diffusers import WanPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.building-{os.getpid()}")
    pipeline = WanPipeline.from_pretrained(model_path, local_files_only=True)
    transformer = pipeline.transformer
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in transformer.named_parameters():
            if "lora_" in name:  # peft starts B at zero (no effect); a style must change the frames
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    WanPipeline.save_lora_weights(staging, transformer_lora_layers=get_peft_model_state_dict(transformer))
    try:
        staging.rename(directory)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not directory.exists():
            raise
    return directory
