#!/usr/bin/env python3
"""Fused attention (PyTorch SDPA) for `moeplan trace`: forward and backward over a shape grid.

Run under moeplan's CUPTI injection library, which records every kernel:

    moeplan trace --out sdpa-trace.json --profile sdpa-profile.json -- \
        python3 profiler/scripts/trace_torch_attention.py [--quick]

Each measured repetition is an NVTX range named with a moeplan case label
("attention forward bf16 torch_sdpa batch=4 heads=32 seq=4096 head_dim=128 mask=causal"), so
`--profile` turns the trace into `attention` measurements (docs/profile-format.md). An L2 flush
(a 256 MiB write) runs before each repetition, outside the range. Which kernel SDPA picks
(FlashAttention-2, cuDNN, memory-efficient) is PyTorch's choice; the profile records its name.
"""
import argparse
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("trace_torch_attention.py: PyTorch is not installed (pip install torch)")

FULL = [(8, 2048), (4, 4096), (2, 8192), (1, 16384)]  # (batch, seq): 16384 tokens each
QUICK = [(4, 4096)]


def label(pass_name, batch, heads, seq, head_dim):
    return (f"attention {pass_name} bf16 torch_sdpa batch={batch} heads={heads} seq={seq} "
            f"head_dim={head_dim} mask=causal")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one shape instead of the grid")
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("trace_torch_attention.py: no CUDA device visible to PyTorch")
    device = torch.device("cuda")
    flush = torch.empty(256 << 20, dtype=torch.uint8, device=device)
    head_dim = 128
    for batch, seq in (QUICK if args.quick else FULL):
        for heads in ([32] if args.quick else [16, 32]):
            shape = (batch, heads, seq, head_dim)
            q, k, v = (torch.randn(shape, device=device, dtype=torch.bfloat16, requires_grad=True)
                       for _ in range(3))
            grad = torch.randn(shape, device=device, dtype=torch.bfloat16)
            for pass_name in ("forward", "backward"):
                name = label(pass_name, batch, heads, seq, head_dim)
                for rep in range(args.warmup + args.repetitions):
                    if pass_name == "backward":  # the graph to run backward through
                        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                    flush.zero_()
                    measured = rep >= args.warmup
                    if pass_name == "forward":
                        if measured:
                            torch.cuda.nvtx.range_push(name)
                        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                        if measured:
                            torch.cuda.nvtx.range_pop()
                    else:
                        if measured:
                            torch.cuda.nvtx.range_push(name)
                        out.backward(grad)
                        if measured:
                            torch.cuda.nvtx.range_pop()
                        q.grad = k.grad = v.grad = None
                torch.cuda.synchronize()
                print(f"traced {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
