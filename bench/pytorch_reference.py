#!/usr/bin/env python3
"""PyTorch peer figure for `npm run bench`: the PromptKD student train step and the teacher's
logits forward, as the official code (zhengli97/PromptKD on OpenAI CLIP) runs them, on CUDA.

    python3 bench/pytorch_reference.py [--steps 20] [--no-fp16] [--tf32]

Self-contained: PyTorch only, random weights (made on the GPU), random images, no downloads.
Prints progress on stderr and ONE JSON line on stdout. Takes well under a minute on an H100.

What is timed (batch 8, like the browser benchmark):
- student step: CLIP ViT-B/16 image tower (frozen) with deep visual prompts (n_ctx 4 in the first
  9 layers: appended after the tokens, replaced in layers 1..8), the projector
  Conv1x1(512->768) -> BatchNorm -> ReLU -> Conv1x1(768->768), cosine logits against 100 teacher
  text features (scale 100), KL(teacher || student) * T^2 / numel * 1000, SGD (lr 0.005,
  momentum 0.9, weight decay 5e-4) on prompts + projector only;
- teacher forward: CLIP ViT-L/14 image tower + cosine logits, under torch.inference_mode.
Each in fp32 (PyTorch's defaults: TF32 matmuls off unless --tf32) and fp16 autocast (with a
GradScaler for the step). Warm-up (first call, incl. kernel selection) is reported apart from the
steady state (median of --steps calls, each synchronised).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 8
CLASSES = 100
N_CTX, DEPTH = 4, 9
TEMPERATURE, KD_WEIGHT, LOGIT_SCALE = 1.0, 1000.0, 100.0


def log(msg):
    print(f"[pytorch_reference] {msg}", file=sys.stderr, flush=True)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]  # as OpenAI CLIP calls it (fused attention)
        return x + self.mlp(self.ln_2(x))


class VisionTower(nn.Module):
    """OpenAI CLIP's VisionTransformer; with n_ctx > 0, PromptKD's deep visual prompts."""

    def __init__(self, width, layers, patch, out_dim, image=224, n_ctx=0, depth=0):
        super().__init__()
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.ModuleList(ResidualBlock(width, width // 64) for _ in range(layers))
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, out_dim))
        self.n_ctx = n_ctx
        if n_ctx:
            self.VPT = nn.Parameter(0.02 * torch.randn(n_ctx, width))
            self.VPT_shallow = nn.ParameterList(nn.Parameter(0.02 * torch.randn(n_ctx, width)) for _ in range(depth - 1))

    def forward(self, pixels):  # [B,3,224,224] -> [B,out_dim]
        b = pixels.shape[0]
        x = self.conv1(pixels).flatten(2).transpose(1, 2)  # [B,P,W]
        x = torch.cat([self.class_embedding.to(x.dtype).expand(b, 1, -1), x], 1) + self.positional_embedding.to(x.dtype)
        tokens = x.shape[1]
        if self.n_ctx:
            x = torch.cat([x, self.VPT.to(x.dtype).expand(b, -1, -1)], 1)  # [B,T+n_ctx,W]
        x = self.ln_pre(x)
        for i, block in enumerate(self.blocks):
            if self.n_ctx and 1 <= i <= len(self.VPT_shallow):
                x = torch.cat([x[:, :tokens], self.VPT_shallow[i - 1].to(x.dtype).expand(b, -1, -1)], 1)
            x = block(x)
        return self.ln_post(x[:, 0]) @ self.proj


def cosine_logits(features, text):  # [B,D], [C,D] -> [B,C]
    return LOGIT_SCALE * F.normalize(features, dim=-1) @ F.normalize(text, dim=-1).t()


def kd_loss(student_logits, teacher_logits):
    t = TEMPERATURE
    kl = F.kl_div(F.log_softmax(student_logits / t, 1), F.softmax(teacher_logits / t, 1), reduction="sum")
    return kl * t * t / student_logits.numel() * KD_WEIGHT


def timed(fn, steps):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    warmup = time.perf_counter() - t0
    runs = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        runs.append(time.perf_counter() - t)
    median = statistics.median(runs)
    return {"warmup_ms": round(1000 * warmup, 2), "median_ms": round(1000 * median, 3),
            "min_ms": round(1000 * min(runs), 3), "runs": steps, "images_per_s": round(BATCH / median, 1)}


def student_step_bench(steps, fp16):
    student = VisionTower(768, 12, 16, 512, n_ctx=N_CTX, depth=DEPTH).cuda()
    projector = nn.Sequential(nn.Conv2d(512, 768, 1), nn.BatchNorm2d(768), nn.ReLU(), nn.Conv2d(768, 768, 1)).cuda()
    for name, p in student.named_parameters():
        p.requires_grad_(name.startswith("VPT"))
    trainable = [p for p in student.parameters() if p.requires_grad] + list(projector.parameters())
    optimizer = torch.optim.SGD(trainable, lr=0.005, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=fp16)
    pixels = torch.randn(BATCH, 3, 224, 224, device="cuda")
    teacher_logits = torch.randn(BATCH, CLASSES, device="cuda") * 10
    teacher_text = torch.randn(CLASSES, 768, device="cuda")
    student.train()
    projector.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16, enabled=fp16):
            features = student(pixels)  # [B,512]
            h = projector(features[:, :, None, None])[:, :, 0, 0]  # [B,768]
            loss = kd_loss(cosine_logits(h.float(), teacher_text), teacher_logits)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    torch.cuda.reset_peak_memory_stats()
    result = timed(step, steps)
    result["peak_memory_bytes"] = torch.cuda.max_memory_allocated()
    result["trainable_params"] = sum(p.numel() for p in trainable)
    result["frozen_params"] = sum(p.numel() for p in student.parameters() if not p.requires_grad)
    del student, projector, optimizer
    torch.cuda.empty_cache()
    return result


def teacher_forward_bench(steps, fp16):
    teacher = VisionTower(1024, 24, 14, 768).cuda().eval().requires_grad_(False)
    pixels = torch.randn(BATCH, 3, 224, 224, device="cuda")
    text = torch.randn(CLASSES, 768, device="cuda")

    def forward():
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=fp16):
            cosine_logits(teacher(pixels).float(), text)

    torch.cuda.reset_peak_memory_stats()
    result = timed(forward, steps)
    result["peak_memory_bytes"] = torch.cuda.max_memory_allocated()
    del teacher
    torch.cuda.empty_cache()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="steady-state calls per measurement (default 20)")
    parser.add_argument("--no-fp16", action="store_true", help="fp32 only")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls in the fp32 runs (PyTorch's default is off)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device: this reference times PromptKD on a GPU", "torch": torch.__version__}))
        sys.exit(2)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True  # as Dassl (PromptKD's trainer framework) sets it
    torch.manual_seed(0)
    started = time.perf_counter()
    out = {
        "device": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "batch": BATCH, "classes": CLASSES, "tf32_matmul": args.tf32,
        "student": "ViT-B/16, 4x9 deep visual prompts + projector, KL, SGD", "teacher": "ViT-L/14 image logits",
        "student_train_step": {}, "teacher_forward": {},
    }
    for precision in ["fp32"] + ([] if args.no_fp16 else ["fp16_autocast"]):
        fp16 = precision != "fp32"
        log(f"student train step, {precision} ...")
        out["student_train_step"][precision] = student_step_bench(args.steps, fp16)
        log(f"teacher forward, {precision} ...")
        out["teacher_forward"][precision] = teacher_forward_bench(args.steps, fp16)
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
