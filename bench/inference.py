"""Inference benchmark: ratios measured in one run (make bench, or python bench/inference.py).

On the CPU with the tiny model it prints:
  1. the module against a bare diffusers call for the same request (target: at most 1.03x),
  2. batched against one-by-one throughput for 4 compatible requests (target: at least 1.6x),
  3. encoding time per frame against denoising time per frame.

With --device cuda it also builds the Wan2.1 1.3B architecture with random weights
(no download) and prints, at 832x480, 81 frames: seconds of compute per second of
video for the plain pipeline and the module's fastest preset (50 steps, guidance),
each with its ratio to the FLOP floor computed from the transformer's shape and the
GPU's measured bf16 matrix rate; the turbo path (4 steps, guidance off, compiled)
with its VAE decode timed apart, and the decode in float32, bfloat16 and tiled,
each with its error against the float32 decode; and image to video on the same
architecture in Wan2.1's I2V layout (a ViT-H/14 image encoder). --smoke-real-size
runs the same code on the tiny architecture, on the CPU, without compilation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference import GenerationRequest, build_tiny, generate, render, tiny_preset, unload_all
from inference.pipelines import select_device, warm_pipeline


def bare_call(pipeline, request: GenerationRequest, preset) -> None:
    with torch.inference_mode():
        pipeline(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            height=request.height,
            width=request.width,
            num_frames=request.num_frames,
            num_inference_steps=preset.steps_for(request),
            guidance_scale=preset.guidance_for(request),
            generator=torch.Generator(device="cpu").manual_seed(request.seed),
            max_sequence_length=preset.max_sequence_length,
            output_type="np",
        )


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_cpu(folder: Path, device: str, repeats: int) -> None:
    import diffusers

    preset = replace(tiny_preset(folder), max_batch=4)
    presets = {preset.name: preset}
    request = GenerationRequest(id="one", prompt="a lighthouse at dusk", width=128, height=128, num_frames=17, steps=4)

    # 1. Module against a bare diffusers call, both warm, interleaved so drift hits both alike.
    bare_pipeline = diffusers.WanPipeline.from_pretrained(folder, local_files_only=True).to(device)
    bare_pipeline.set_progress_bar_config(disable=True)
    warm_pipeline(preset, select_device(device))
    bare_call(bare_pipeline, request, preset)
    list(render([request], presets=presets, device=device))
    bare, module = [], []
    for i in range(repeats):
        # Alternate which goes first (ABBA), so a slow first or second slot hits both alike.
        runs = [
            (bare, lambda: bare_call(bare_pipeline, request, preset)),
            (module, lambda: list(render([request], presets=presets, device=device))),
        ]
        for samples, run in runs if i % 2 == 0 else reversed(runs):
            samples.append(timed(run))
    bare_s, module_s = statistics.median(bare), statistics.median(module)
    print(
        f"module vs bare diffusers:   {module_s / bare_s:.3f}x  (module {module_s:.3f} s, bare {bare_s:.3f} s, "
        f"median of {repeats}; target <= 1.03x)"
    )

    # 2. Four compatible requests: one batched call against four single calls, at two sizes.
    for size, frames in ((64, 9), (128, 17)):
        shaped = replace(request, width=size, height=size, num_frames=frames)
        four = [replace(shaped, id=f"r{i}", seed=i, prompt=f"{request.prompt}, take {i}") for i in range(4)]
        single, batched = [], []
        for _ in range(max(3, repeats // 2)):
            single.append(timed(lambda four=four: [list(render([r], presets=presets, device=device)) for r in four]))
            batched.append(timed(lambda four=four: list(render(four, presets=presets, device=device))))
        single_s, batched_s = statistics.median(single), statistics.median(batched)
        print(
            f"batched vs one-by-one (4 x {size}x{size}x{frames}): {single_s / batched_s:.2f}x throughput  "
            f"(one-by-one {single_s:.3f} s, batched {batched_s:.3f} s; target >= 1.6x)"
        )

    # 3. Encoding against denoising, per frame.
    with tempfile.TemporaryDirectory() as out:
        [result] = generate([request], output_dir=out, presets=presets, device=device)
    t, frames = result.timings, result.num_frames
    print(
        f"encode vs denoise per frame: {t.encode_s / t.denoise_s:.3f}x  (encode {1000 * t.encode_s / frames:.2f} ms, "
        f"denoise {1000 * t.denoise_s / frames:.2f} ms, VAE decode {1000 * t.decode_s / frames:.2f} ms per frame)"
    )
    unload_all()


WAN_1_3B = dict(num_attention_heads=12, attention_head_dim=128, ffn_dim=8960, num_layers=30, text_len=512)


def build_wan_1_3b(folder: Path, device: torch.device, image: bool = False) -> None:
    """The Wan2.1 T2V 1.3B transformer and VAE at full size, random weights, saved in diffusers format;
    with ``image``, the same transformer in Wan2.1's I2V layout (36 input channels, image cross-attention)
    with a ViT-H/14 CLIP image encoder, as Wan2.1's I2V checkpoints have.

    The text encoder keeps UMT5-XXL's width (4096, what the transformer reads) but
    only two layers: it runs once per clip and is not what this measures.
    """
    import diffusers
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

    from inference.tiny import build_tokenizer

    extra = dict(in_channels=36, image_dim=1280, added_kv_proj_dim=1536) if image else dict(in_channels=16)
    with torch.device(device):
        transformer = diffusers.WanTransformer3DModel(
            patch_size=(1, 2, 2),
            num_attention_heads=12,
            attention_head_dim=128,
            out_channels=16,
            text_dim=4096,
            freq_dim=256,
            ffn_dim=8960,
            num_layers=30,
            cross_attn_norm=True,
            qk_norm="rms_norm_across_heads",
            eps=1e-6,
            **extra,
        ).to(torch.bfloat16)
        image_encoder = (
            CLIPVisionModel(
                CLIPVisionConfig(
                    hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16,
                    image_size=224, patch_size=14, projection_dim=1024,
                )
            ).to(torch.bfloat16)
            if image
            else None
        )  # fmt: skip
        vae = diffusers.AutoencoderKLWan()  # the released VAE's configuration is the default
        tokenizer = build_tokenizer()
        text_encoder = UMT5EncoderModel(
            UMT5Config(
                vocab_size=len(tokenizer),
                d_model=4096,
                d_kv=64,
                d_ff=10240,
                num_layers=2,
                num_heads=64,
            )
        ).to(torch.bfloat16)
    scheduler = diffusers.UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
    )
    parts = dict(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler)
    if image:
        pipeline = diffusers.WanImageToVideoPipeline(
            image_encoder=image_encoder, image_processor=CLIPImageProcessor(crop_size=224, size=224), **parts
        )
    else:
        pipeline = diffusers.WanPipeline(**parts)
    pipeline.save_pretrained(folder)


def transformer_flops_per_step(width: int, height: int, frames: int, cfg: bool, shape: dict) -> float:
    """Matrix FLOPs of one denoising step of a Wan transformer: the linear layers (self-attention q, k,
    v, o; cross-attention q, o and k, v over the text; the two feed-forward matrices) and attention
    itself (QK^T and AV, self and cross), doubled with classifier-free guidance. Elementwise work,
    norms and the VAE are left out: this is the floor no implementation goes under."""
    d = shape["num_attention_heads"] * shape["attention_head_dim"]
    tokens = ((frames - 1) // 4 + 1) * (height // 16) * (width // 16)
    text = shape["text_len"]
    linear = 2 * tokens * (4 * d * d + 2 * d * d + 2 * d * shape["ffn_dim"]) + 2 * text * 2 * d * d
    attention = 4 * tokens * tokens * d + 4 * tokens * text * d
    return shape["num_layers"] * (linear + attention) * (2 if cfg else 1)


def matrix_rate(device: torch.device) -> float:
    """The device's measured bf16 matrix multiply rate in FLOP/s (float32 on a CPU), best of five."""
    n, dtype = (8192, torch.bfloat16) if device.type == "cuda" else (512, torch.float32)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    sync(device)
    best = min(timed(lambda: (a @ b, sync(device))) for _ in range(5))
    return 2 * n**3 / best


def decode_variants(folder: Path, request: GenerationRequest, preset, device: torch.device) -> list[str]:
    """The same latents decoded in float32 (the reference), bfloat16 and tiled float32: time and the
    mean absolute error against the reference, in 8-bit pixel levels."""
    import diffusers

    dtypes = {"vae": torch.float32, "default": torch.bfloat16}
    pipeline = diffusers.WanPipeline.from_pretrained(folder, local_files_only=True, dtype=dtypes).to(device)
    pipeline.set_progress_bar_config(disable=True)
    with torch.inference_mode():
        latents = pipeline(
            prompt=request.prompt, height=request.height, width=request.width, num_frames=request.num_frames,
            num_inference_steps=2, guidance_scale=0.0, output_type="latent",
            generator=torch.Generator(device="cpu").manual_seed(0), max_sequence_length=preset.max_sequence_length,
        ).frames  # fmt: skip
    vae = pipeline.vae
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1).to(device)
    std = 1.0 / torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1).to(device)
    scaled = latents.float() / std + mean

    def decode(dtype, tiled=False):
        vae.to(dtype)
        vae.enable_tiling() if tiled else vae.disable_tiling()
        with torch.inference_mode():
            vae.decode(scaled.to(dtype)[:, :, :2])  # warm
            sync(device)
            started = time.perf_counter()
            video = vae.decode(scaled.to(dtype)).sample.float()
            sync(device)
        return time.perf_counter() - started, ((video.clamp(-1, 1) + 1) * 127.5)

    reference_s, reference = decode(torch.float32)
    lines = [f"    float32 (reference): {reference_s:.2f} s"]
    for name, dtype, tiled in (("bfloat16", torch.bfloat16, False), ("tiled float32", torch.float32, True)):
        seconds, video = decode(dtype, tiled)
        error = (video - reference).abs().mean().item()
        lines.append(f"    {name}: {seconds:.2f} s ({reference_s / seconds:.2f}x), mean error {error:.2f} of 255")
    vae.to(torch.float32)
    return lines


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_bare(folder: Path, request: GenerationRequest, preset, device: torch.device) -> float:
    """One plain diffusers call as its documentation shows it (bf16, Wan's VAE in float32), after a warm-up."""
    import diffusers

    dtypes = {"vae": torch.float32, "default": torch.bfloat16}
    pipeline = diffusers.WanPipeline.from_pretrained(folder, local_files_only=True, dtype=dtypes).to(device)
    pipeline.set_progress_bar_config(disable=True)
    bare_call(pipeline, replace(request, steps=2), preset)  # kernels warm
    sync(device)
    return timed(lambda: (bare_call(pipeline, request, preset), sync(device)))


def bench_real_size(folder: Path, device: str, steps: int, frames: int, smoke: bool) -> None:
    from inference import Preset

    target = select_device(device)
    if smoke:  # the same code path on the tiny architecture, to check the script without a GPU
        build_tiny(folder)
        width, height, frames, steps = 64, 64, 9, 2
    else:
        build_wan_1_3b(folder, target)
        width, height = 832, 480
    clip_s = frames / 16
    plain = Preset(
        name="plain",
        path=folder,
        family="wan",
        dtype="bfloat16",
        default_steps=steps,
        sizes=((width, height),),
        frame_counts=(frames,),
        fps=(16,),
        max_batch=1,
        max_sequence_length=32 if smoke else 512,
    )
    # The smoke run leaves compilation out: on a CPU it is most of the run and measures nothing there.
    fastest = replace(plain, name="fastest", compile=not smoke, step_cache="first-block", step_cache_threshold=0.05)
    request = GenerationRequest(
        id="clip",
        prompt="a lighthouse at dusk, waves",
        width=width,
        height=height,
        num_frames=frames,
        fps=16,
        steps=steps,
        preset="fastest",
    )

    bare_s = time_bare(folder, request, plain, target)
    if target.type == "cuda":
        torch.cuda.empty_cache()
    shape = TINY_SHAPE if smoke else WAN_1_3B
    rate = matrix_rate(target)
    floor_s = steps * transformer_flops_per_step(width, height, frames, True, shape) / rate
    name = torch.cuda.get_device_name(target) if target.type == "cuda" else "cpu"
    print(
        f"{'tiny (smoke run)' if smoke else 'Wan2.1 1.3B'} architecture, {width}x{height}, {frames} frames "
        f"({clip_s:.2f} s of video), {steps} steps, {name}, measured matrix rate {rate / 1e12:.1f} TFLOP/s:"
    )
    print(f"  plain diffusers pipeline: {bare_s / clip_s:.2f} s of compute per second of video ({bare_s:.1f} s)")
    plain_t = render_timings(request, {"fastest": replace(plain, name="fastest")}, device)
    print(
        f"  module, plain preset:     denoise {plain_t.denoise_s:.1f} s = {plain_t.denoise_s / floor_s:.2f}x "
        f"the FLOP floor ({floor_s:.1f} s for {steps} steps with guidance)"
    )
    presets = {"fastest": fastest}
    # The first call compiles; it is reported, not counted.
    warmup_s = timed(lambda: render_timings(replace(request, id="warmup", steps=2), presets, device))
    fast_t = render_timings(request, presets, device)
    fastest_s = fast_t.denoise_s + fast_t.decode_s
    print(
        f"  module, fastest preset:   {fastest_s / clip_s:.2f} s of compute per second of video ({fastest_s:.1f} s; "
        f"bf16 + First Block Cache + regional torch.compile; warm-up with compilation {warmup_s:.1f} s); "
        f"denoise {fast_t.denoise_s / floor_s:.2f}x the FLOP floor"
    )
    print(f"  speed-up: {bare_s / fastest_s:.2f}x")
    unload_all()

    # Turbo: 4 steps, guidance off (one network pass per step), compiled. A distilled LoRA fused into
    # the weights costs nothing per step, so random weights measure the same work.
    turbo = replace(plain, name="turbo", compile=not smoke, default_steps=4, default_guidance=0.0)
    fast = replace(request, id="turbo", preset="turbo", steps=4, guidance=0.0)
    render_timings(replace(fast, id="turbo-warmup"), {"turbo": turbo}, device)
    turbo_t = render_timings(fast, {"turbo": turbo}, device)
    turbo_s = turbo_t.denoise_s + turbo_t.decode_s
    print(
        f"  turbo (4 steps, no guidance, compiled): {turbo_s / clip_s:.2f} s per second of video "
        f"(goal 0.5; denoise {turbo_t.denoise_s:.2f} s, decode {turbo_t.decode_s:.2f} s in float32)"
    )
    print("  VAE decode of the same latents:")
    for line in decode_variants(folder, request, plain, target):
        print(line)
    unload_all()

    # Image to video: the same transformer in Wan2.1's I2V layout, at the turbo settings.
    image_folder = folder.with_name(folder.name + "-i2v")
    build_tiny(image_folder, "wan-i2v") if smoke else build_wan_1_3b(image_folder, target, image=True)
    start = folder.with_name("start.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)).save(start)
    i2v = replace(turbo, name="i2v", compile=False, modes=("text", "image"), image_path=image_folder)
    from_image = replace(fast, id="i2v", preset="i2v", start_image=str(start))
    render_timings(replace(from_image, id="i2v-warmup"), {"i2v": i2v}, device)
    i2v_t = render_timings(from_image, {"i2v": i2v}, device)
    i2v_s = i2v_t.denoise_s + i2v_t.decode_s
    print(
        f"  image to video (4 steps, no guidance): {i2v_s / clip_s:.2f} s per second of video "
        f"(denoise {i2v_t.denoise_s:.2f} s, {i2v_t.denoise_s / 4:.3f} s per step; decode {i2v_t.decode_s:.2f} s)"
    )
    unload_all()


def render_timings(request: GenerationRequest, presets: dict, device: str):
    """The module's own phase timings for one request (frames rendered, not encoded)."""
    (clip,) = list(render([request], presets=presets, device=device))
    sync(select_device(device))
    return clip.timings


TINY_SHAPE = dict(num_attention_heads=2, attention_head_dim=12, ffn_dim=32, num_layers=2, text_len=32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50, help="real-size run only")
    parser.add_argument("--frames", type=int, default=81, help="real-size run only")
    parser.add_argument(
        "--smoke-real-size",
        action="store_true",
        help="run the real-size code path on the tiny architecture (checks the script on a CPU)",
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, device {args.device}")
    with tempfile.TemporaryDirectory() as scratch:
        tiny = build_tiny(Path(scratch) / "tiny-wan")
        bench_cpu(tiny, args.device, args.repeats)
        if args.device.startswith("cuda") or args.smoke_real_size:
            bench_real_size(
                Path(scratch) / "wan-real-size", args.device, args.steps, args.frames, smoke=args.smoke_real_size
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
