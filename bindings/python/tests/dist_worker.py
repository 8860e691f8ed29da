"""One rank of the distributed test (run by torchrun from test_distributed.py).

For every mesh and placement this world size allows, it initializes an odd-sized DTensor
twice: with initspec.torch.init_ and with torch.nn.init (after torch.manual_seed, as a
training script would), gathers both with full_tensor(), and rank 0 writes the SHA-256 of
each full tensor to OUT/world-W.json, with whether initspec's equals initspec.sample.
"""

import hashlib
import json
import os
import sys

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard

import initspec
import initspec.torch

SHAPE = (37, 23)
SCHEME, SEED, NAME = "kaiming_normal", 11, "layers.0.mlp.w1"


def raw(tensor):
    tensor = tensor.detach().contiguous()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    return tensor.numpy().tobytes()


def layouts(world):
    """(mesh shape, mesh dim names, placements) for this world size."""
    one = [((world,), ("x",), [p]) for p in (Shard(0), Shard(1), Replicate())]
    if world == 4:
        two = [((2, 2), ("x", "y"), list(p)) for p in [
            (Shard(0), Shard(1)), (Shard(1), Shard(0)), (Shard(0), Shard(0)),
            (Replicate(), Shard(1)), (Shard(1), Replicate())]]
        return one + two
    if world == 2:
        return one + [((1, 2), ("x", "y"), [Shard(1), Shard(0)])]
    return one


def main(out_dir):
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = []
    for dtype in (torch.float32, torch.bfloat16):
        expected = raw(torch.from_numpy(initspec.sample(SCHEME, SHAPE, seed=SEED, name=NAME)).to(dtype)) \
            if dtype == torch.float32 else None
        if dtype == torch.bfloat16:
            expected_t = torch.empty(SHAPE, dtype=dtype)
            initspec.torch.init_(expected_t, SCHEME, seed=SEED, name=NAME)
            expected = raw(expected_t)
        for mesh_shape, names, placements in layouts(world):
            mesh = init_device_mesh("cpu", mesh_shape, mesh_dim_names=names)
            ours = torch.distributed.tensor.empty(SHAPE, dtype=dtype, device_mesh=mesh,
                                                  placements=placements)
            param = torch.nn.Parameter(ours)
            initspec.torch.init_(param, SCHEME, seed=SEED, name=NAME)
            full = raw(param.full_tensor())
            theirs = torch.distributed.tensor.empty(SHAPE, dtype=dtype, device_mesh=mesh,
                                                    placements=placements)
            torch.manual_seed(SEED)
            torch.nn.init.kaiming_normal_(theirs)
            torch_full = raw(theirs.full_tensor())
            results.append({
                "dtype": str(dtype), "mesh": list(mesh_shape),
                "placements": [str(p) for p in placements],
                "initspec_sha": hashlib.sha256(full).hexdigest(),
                "initspec_equals_sample": full == expected,
                "torch_sha": hashlib.sha256(torch_full).hexdigest(),
            })
    # A Partial DTensor holds summands, not values: refused, the local tensor untouched.
    mesh = init_device_mesh("cpu", (world,))
    partial = DTensor.from_local(torch.zeros(SHAPE), mesh, [Partial()])
    try:
        initspec.torch.init_(partial, SCHEME, seed=SEED, name=NAME)
        partial_refused = False
    except ValueError as e:
        partial_refused = "Partial" in str(e) and not partial.to_local().any().item()
    if rank == 0:
        with open(os.path.join(out_dir, f"world-{world}.json"), "w") as f:
            json.dump({"torch": torch.__version__, "results": results,
                       "partial_refused": partial_refused}, f, indent=1)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
