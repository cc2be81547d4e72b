"""PyTorch's side of the checkpoint tests (pytorch.test.ts runs it with a python3 that has torch).

  load FILE            torch.load(FILE, weights_only=True) of our student export; prints JSON with its
                       keys, values, and whether a module shaped like PromptKD's student takes the
                       state dict with load_state_dict(strict=True)
  promptsrc DIR WT WV NCTX DEPTH FROZEN_MB
                       writes DIR/model-best.pth.tar as Dassl saves a PromptSRC teacher (prompts, token
                       buffers, FROZEN_MB of frozen weights, SGD state, warmup scheduler whose state
                       holds its successor and optimizer as objects, val_result) and DIR/expected.json
  views DIR            fp16/bf16/fp64/int/bool tensors and views with offsets and strides, saved with
                       pickle protocols 2 and 4 (views-p2.pth, views-p4.pth), and DIR/expected.json
  hostile DIR MARKER CONTROL
                       data.pkl payloads that would run commands creating MARKER (os.system,
                       builtins.eval, subprocess.Popen) in torch.save-shaped zips; DIR/control.pkl,
                       the os.system payload creating CONTROL, proves such a payload runs under pickle
  unpickle FILE        pickle.load(FILE) with Python's own, unrestricted unpickler (the control)
"""
import collections
import json
import os
import pickle
import subprocess
import sys
import zipfile

import torch
from torch import nn


def values(t):
    if t.dtype == torch.bool or not t.is_floating_point():
        return [int(v) for v in t.flatten().tolist()]
    return t.double().flatten().tolist()  # exact for every float dtype


def describe(t):
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": values(t)}


def load(path):
    ckpt = torch.load(path, weights_only=True)
    sd = ckpt["state_dict"]
    depth = 1 + sum(1 for k in sd if k.endswith(".VPT_shallow"))
    n_ctx, width = sd["image_encoder.VPT"].shape
    teacher_dim, embed_dim = sd["VPT_image_trans.conv1.0.weight"].shape[:2]

    # the student's trainable part as trainers/promptkd.py builds it: VPT on the image encoder,
    # VPT_shallow on vision blocks 1..depth-1, and the projector Feature_Trans_Module_two_layer
    class Block(nn.Module):
        def __init__(self, prompted):
            super().__init__()
            if prompted:
                self.VPT_shallow = nn.Parameter(torch.empty(n_ctx, width))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.resblocks = nn.ModuleList([Block(i > 0) for i in range(depth)])

    class ImageEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.VPT = nn.Parameter(torch.empty(n_ctx, width))
            self.transformer = Transformer()

    class Projector(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Sequential(nn.Conv2d(embed_dim, teacher_dim, 1), nn.BatchNorm2d(teacher_dim), nn.ReLU(inplace=True), nn.Conv2d(teacher_dim, teacher_dim, 1))

    class Student(nn.Module):
        def __init__(self):
            super().__init__()
            self.image_encoder = ImageEncoder()
            self.VPT_image_trans = Projector()

    student = Student()
    student.load_state_dict(sd, strict=True)
    print(json.dumps({
        "top": list(ckpt.keys()), "epoch": ckpt["epoch"], "optimizer": ckpt["optimizer"], "scheduler": ckpt["scheduler"],
        "keys": list(sd.keys()), "tensors": {k: describe(v) for k, v in sd.items()},
        "strictLoad": list(student.state_dict().keys()) == list(sd.keys()),
    }))


def promptsrc(out, wt, wv, n_ctx, depth, frozen_mb):
    torch.manual_seed(0)
    n_cls, frozen_blocks = 5, 4

    class Block(nn.Module):
        def __init__(self, width, prompted, rows):
            super().__init__()
            if prompted:
                self.VPT_shallow = nn.Parameter(torch.randn(n_ctx, width) * 0.02)
            self.ln_1 = nn.LayerNorm(width)
            self.mlp = nn.Module()
            self.mlp.c_fc = nn.Linear(width, rows)

    class Tower(nn.Module):
        def __init__(self, width, rows):
            super().__init__()
            self.transformer = nn.Module()
            self.transformer.resblocks = nn.ModuleList([Block(width, 0 < i < depth, rows) for i in range(max(depth, frozen_blocks))])

    class PromptLearner(nn.Module):
        def __init__(self):
            super().__init__()
            self.ctx = nn.Parameter(torch.randn(n_ctx, wt) * 0.02)
            self.register_buffer("token_prefix", torch.randn(n_cls, 1, wt))
            self.register_buffer("token_suffix", torch.randn(n_cls, 77 - 1 - n_ctx, wt))

    # frozen weights of about frozen_mb in the image tower's MLPs, as a frozen ViT's would be
    rows = int(frozen_mb * 2**20 / 4 / wv / frozen_blocks)

    class Teacher(nn.Module):
        def __init__(self):
            super().__init__()
            self.prompt_learner = PromptLearner()
            self.text_encoder = Tower(wt, 4 * wt)
            self.image_encoder = Tower(wv, rows)
            self.image_encoder.VPT = nn.Parameter(torch.randn(n_ctx, wv) * 0.02)
            self.logit_scale = nn.Parameter(torch.tensor(4.6052))

    model = Teacher()
    for name, p in model.named_parameters():
        p.requires_grad_("VPT" in name or "prompt_learner" in name)

    # Dassl's build_optimizer hands the optimizer every parameter; its build_lr_scheduler wraps a
    # cosine schedule in a warmup scheduler that keeps the cosine one (and so the optimizer) as state
    optim = torch.optim.SGD(model.parameters(), lr=0.0025, momentum=0.9, weight_decay=5e-4)
    loss = sum((p * p).sum() for p in model.parameters() if p.requires_grad)
    loss.backward()
    optim.step()
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optim, 20.0)

    class ConstantWarmupScheduler(torch.optim.lr_scheduler._LRScheduler):
        def __init__(self, optimizer, successor):
            self.successor = successor
            self.cons_lr = 1e-5
            super().__init__(optimizer)

        def get_lr(self):
            return [self.cons_lr for _ in self.base_lrs]

    warmup = ConstantWarmupScheduler(optim, cosine)
    state = {"state_dict": model.state_dict(), "epoch": 20, "optimizer": optim.state_dict(), "scheduler": warmup.state_dict(), "val_result": 81.25}
    path = os.path.join(out, "model-best.pth.tar")
    torch.save(state, path)
    prompts = {k: describe(v) for k, v in model.state_dict().items() if "VPT" in k or k == "prompt_learner.ctx"}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"prompts": prompts, "promptBytes": sum(4 * len(p["values"]) for p in prompts.values()),
                   "fileBytes": os.path.getsize(path), "stateDictKeys": list(model.state_dict().keys())}, f)


def views(out):
    torch.manual_seed(1)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    sd = collections.OrderedDict([
        ("half", torch.randn(5, 3).half()),
        ("bf16", torch.randn(4, 6).bfloat16()),
        ("half_t", torch.randn(3, 4).half().t()),
        ("base", base),
        ("t", base.t()),
        ("slice", base[1:, 2:5]),
        ("column", base[:, 1]),
        ("strided", base[::2, ::3]),
        ("double", torch.randn(3, dtype=torch.float64)),
        ("long", torch.tensor([1, -2, 3 ** 30])),
        ("scalar", torch.tensor(7)),
        ("flags", torch.tensor([True, False, True])),
        ("empty", torch.zeros(0, 3)),
    ])
    for protocol in (2, 4):
        torch.save(sd, os.path.join(out, f"views-p{protocol}.pth"), pickle_protocol=protocol)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({k: describe(v) for k, v in sd.items()}, f)


class Call:
    """Pickles as a call of `fn(*args)`: how a malicious checkpoint gets code run by pickle.load."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def hostile(out, marker, control):
    payloads = {
        "os-system": Call(os.system, f"touch {marker}"),
        "builtins-eval": Call(eval, f"__import__('os').system('touch {marker}')"),
        "subprocess-popen": Call(subprocess.Popen, ["touch", marker]),
    }
    for name, payload in payloads.items():
        data = pickle.dumps({"state_dict": collections.OrderedDict([("image_encoder.VPT", payload)]), "epoch": 1}, protocol=2)
        with zipfile.ZipFile(os.path.join(out, f"{name}.pth"), "w", zipfile.ZIP_STORED) as z:
            z.writestr("archive/data.pkl", data)
            z.writestr("archive/version", "3\n")
    with open(os.path.join(out, "control.pkl"), "wb") as f:
        pickle.dump(Call(os.system, f"touch {control}"), f, protocol=2)


def unpickle(path):
    with open(path, "rb") as f:
        pickle.load(f)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "load":
        load(rest[0])
    elif cmd == "promptsrc":
        promptsrc(rest[0], *map(int, rest[1:5]), float(rest[5]))
    elif cmd == "views":
        views(rest[0])
    elif cmd == "hostile":
        hostile(*rest[:3])
    elif cmd == "unpickle":
        unpickle(rest[0])
    else:
        sys.exit(f"unknown command {cmd}")
