#!/usr/bin/env python3
"""PyTorch peer for `steerlab bench`: the same PilotNet (66x200x3, 24-36-48-64-64
convs, 100-50-10 dense, ELU hidden layers, tanh head, 252,219 parameters), batch
32, Adam (lr 1e-3), MSE loss, on the CPU with a fixed thread count.

Without --serve: prints one JSON object {"name", "torch", "threads", "params",
"trainSamplesPerS", "fwdSamplesPerS", "trainStepMs", "steps"} and exits.

With --serve (what `steerlab bench` uses): prints one JSON line {"name", "torch",
"threads", "params"} once warmed up, then answers each stdin line "train SECONDS"
or "fwd SECONDS" with one JSON line {"samplesPerS", "steps", "seconds"}, until
"quit" or end of input. The bench alternates these segments with its own engine's,
so drift in the machine's speed (other tenants, clock) hits both sides alike.

The data path is a real loop's (the lab's reference loop, src/reference/reference.py):
each step gathers its batch from uint8 NHWC frames (a pool of random frames: speed
does not depend on the pixel values), converts to float / 255, permutes to NCHW
(which leaves the memory channels-last), centres to [-1, 1], and runs a model whose
weights are channels-last too. Timing a contiguous NCHW float tensor made once
instead underestimated PyTorch (349 vs 416 samples/s measured on one machine).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

# Frames in the pool the batches are drawn from (8 batches: batches differ, as in a loop over a drive).
POOL_BATCHES = 8


def allocator() -> str:
    """How glibc handles freed memory in this process (the lab sets it: src/reference/python.ts torchEnv)."""
    m, t = os.environ.get("MALLOC_MMAP_THRESHOLD_"), os.environ.get("MALLOC_TRIM_THRESHOLD_")
    return f"glibc keeping freed memory (MALLOC_MMAP_THRESHOLD_={m}, MALLOC_TRIM_THRESHOLD_={t})" if m and t else "glibc defaults"


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
    ap.add_argument("--serve", action="store_true", help="answer train/fwd commands on stdin")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    # Channels-last weights, as the reference loop builds its model (oneDNN's preferred layout on CPU).
    model = pilotnet().to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    frames = np.random.RandomState(1).randint(0, 256, (POOL_BATCHES * a.batch, 66, 200, 3), dtype=np.uint8)
    y = torch.rand(a.batch, 1) * 2 - 1
    k = [0]

    def next_batch() -> torch.Tensor:
        """uint8 NHWC frames -> float [0, 1] -> NCHW view (channels-last memory) -> [-1, 1], as the reference loop."""
        pos = (np.arange(a.batch) + k[0] * a.batch) % len(frames)
        k[0] += 1
        x = torch.from_numpy(np.ascontiguousarray(frames[pos])).float().div_(255).permute(0, 3, 1, 2)
        return (x * 2 - 1).contiguous(memory_format=torch.channels_last)

    def train_step() -> None:
        x = next_batch()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def forward() -> None:
        x = next_batch()
        with torch.no_grad():
            model(x)

    def timed(f, seconds: float) -> dict:
        steps = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds or steps < 3:
            f()
            steps += 1
        s = time.perf_counter() - t0
        return {"samplesPerS": steps * a.batch / s, "steps": steps, "seconds": s}

    for _ in range(a.warmup):
        train_step()
        forward()
    info = {
        "name": f"PyTorch {torch.__version__} CPU, {a.threads} threads, uint8 NHWC batches, {allocator()}",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "input": "uint8 NHWC frames -> float NCHW (channels-last) each step",
    }
    if a.serve:
        print(json.dumps(info), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            seconds = float(cmd[1]) if len(cmd) > 1 else a.seconds
            if cmd[0] == "train":
                model.train()
                print(json.dumps(timed(train_step, seconds)), flush=True)
            elif cmd[0] == "fwd":
                model.eval()
                print(json.dumps(timed(forward, seconds)), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {cmd[0]}"}), flush=True)
        return

    train = timed(train_step, a.seconds)
    model.eval()
    fwd = timed(forward, a.seconds / 2)
    print(json.dumps({
        **info,
        "trainSamplesPerS": train["samplesPerS"],
        "fwdSamplesPerS": fwd["samplesPerS"],
        "trainStepMs": 1000 * train["seconds"] / train["steps"],
        "steps": train["steps"],
    }))

if __name__ == "__main__":
    main()
