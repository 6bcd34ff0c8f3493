#!/usr/bin/env python3
"""A plain PyTorch MoE layer (router, top-k, per-expert SwiGLU FFN, weighted combine), forward
and backward, for `moeplan trace`: a trace of a real framework layer to set beside moeplan's own
`moe_layer` measurements.

    moeplan trace --out moe-trace.json --profile moe-profile.json -- \
        python3 profiler/scripts/trace_torch_moe_layer.py [--tokens 8192 --hidden 7168 ...]

Each measured repetition is an NVTX range named with a moeplan case label (implementation
`torch_loop`, distribution `router`: the routing is whatever the random router picks), so the
profile gets `moe_layer` measurements; the layer's own kernels (cuBLAS GEMMs, index_add, top-k,
...) are listed under each measurement. The expert loop mirrors a simple reference MoE (Mixtral's
HF implementation) rather than a fused grouped-GEMM one.
"""
import argparse
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("trace_torch_moe_layer.py: PyTorch is not installed (pip install torch)")


class MoeLayer(torch.nn.Module):
    def __init__(self, hidden, width, experts, top_k):
        super().__init__()
        self.top_k = top_k
        self.router = torch.nn.Linear(hidden, experts, bias=False)
        self.fc1 = torch.nn.Parameter(torch.randn(experts, 2 * width, hidden) * hidden ** -0.5)
        self.fc2 = torch.nn.Parameter(torch.randn(experts, hidden, width) * width ** -0.5)

    def forward(self, x):
        probs = F.softmax(self.router(x).float(), dim=-1)
        weights, chosen = torch.topk(probs, self.top_k, dim=-1)
        weights = weights.to(x.dtype)
        out = torch.zeros_like(x)
        for expert in range(self.fc1.shape[0]):
            token, slot = torch.where(chosen == expert)
            if token.numel() == 0:
                continue
            h = x[token] @ self.fc1[expert].t()
            gate, up = h.chunk(2, dim=-1)
            y = (F.silu(gate) * up) @ self.fc2[expert].t()
            out.index_add_(0, token, y * weights[token, slot, None])
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--width", type=int, default=14336)
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("trace_torch_moe_layer.py: no CUDA device visible to PyTorch")
    device = torch.device("cuda")
    layer = MoeLayer(args.hidden, args.width, args.experts, args.top_k).to(device, torch.bfloat16)
    x = torch.randn(args.tokens, args.hidden, device=device, dtype=torch.bfloat16,
                    requires_grad=True)
    flush = torch.empty(256 << 20, dtype=torch.uint8, device=device)
    shape = (f"tokens={args.tokens} hidden={args.hidden} width={args.width} "
             f"experts={args.experts} top_k={args.top_k} score=softmax distribution=router")
    for pass_name in ("forward", "backward"):
        name = f"moe_layer {pass_name} bf16 torch_loop {shape}"
        for rep in range(args.warmup + args.repetitions):
            measured = rep >= args.warmup
            if pass_name == "forward":
                flush.zero_()
                if measured:
                    torch.cuda.nvtx.range_push(name)
                with torch.no_grad():
                    layer(x)
                if measured:
                    torch.cuda.nvtx.range_pop()
            else:
                out = layer(x)
                grad = torch.randn_like(out)
                flush.zero_()
                if measured:
                    torch.cuda.nvtx.range_push(name)
                out.backward(grad)
                if measured:
                    torch.cuda.nvtx.range_pop()
                layer.zero_grad(set_to_none=True)
                x.grad = None
        torch.cuda.synchronize()
        print(f"traced {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
