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

Inputs are random: speed does not depend on the pixel values.
"""
import argparse
import json
import sys
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
    ap.add_argument("--serve", action="store_true", help="answer train/fwd commands on stdin")
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

    def forward() -> None:
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
        "name": f"PyTorch {torch.__version__} CPU, {a.threads} threads",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
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
