#!/usr/bin/env python3
"""PyTorch peer for `steerlab bench`: the same PilotNet (66x200x3, 24-36-48-64-64
convs, 100-50-10 dense, ELU hidden layers, tanh head, 252,219 parameters), batch
32, Adam (lr 1e-3), MSE loss, on the CPU with a fixed thread count.

Prints one JSON object: {"name", "torch", "threads", "params", "trainSamplesPerS",
"fwdSamplesPerS", "trainStepMs", "steps"}. Inputs are random: speed does not
depend on the pixel values.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def pilotnet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 24, 5, stride=2), nn.ELU(),
        nn.Conv2d(24, 36, 5, stride=2), nn.ELU(),
        nn.Conv2d(36, 48, 5, stride=2), nn.ELU(),
        nn.Conv2d(48, 64, 3), nn.ELU(),
        nn.Conv2d(64, 64, 3), nn.ELU(),
        nn.Flatten(),
        nn.Linear(64 * 1 * 18, 100), nn.ELU(),
        nn.Linear(100, 50), nn.ELU(),
        nn.Linear(50, 10), nn.ELU(),
        nn.Linear(10, 1), nn.Tanh(),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=8.0, help="time budget per measurement")
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = pilotnet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    # PyTorch is NCHW; the lab's tfjs model is NHWC: same sizes, same arithmetic.
    x = torch.rand(a.batch, 3, 66, 200)
    y = torch.rand(a.batch, 1) * 2 - 1

    def train_step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        train_step()
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < a.seconds or steps < 3:
        train_step()
        steps += 1
    train_s = time.perf_counter() - t0

    model.eval()
    with torch.no_grad():
        for _ in range(a.warmup):
            model(x)
        fsteps = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < a.seconds / 2 or fsteps < 3:
            model(x)
            fsteps += 1
        fwd_s = time.perf_counter() - t0

    print(json.dumps({
        "name": f"PyTorch {torch.__version__} CPU, {a.threads} threads",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "trainSamplesPerS": steps * a.batch / train_s,
        "fwdSamplesPerS": fsteps * a.batch / fwd_s,
        "trainStepMs": 1000 * train_s / steps,
        "steps": steps,
    }))


if __name__ == "__main__":
    main()
