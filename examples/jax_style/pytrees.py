"""Working with pytrees: tree.map over nested containers, leaves and structure, flattening with
key paths, custom nodes (register_pytree_node, register_dataclass) and an SGD step on a pytree
of parameters."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import random
from jax.tree_util import register_pytree_node

jax.config.update("jax_enable_x64", True)

example_trees = [
    [1, "a", object()],
    (1, (2, 3), ()),
    [1, {"k1": 2, "k2": (3, 4)}, 5],
    {"a": 2, "b": (2, 3)},
    jnp.array([1, 2, 3]),
]
for pytree in example_trees:
    leaves = jax.tree_util.tree_leaves(pytree)
    print(f"{len(leaves)} leaves, arrays among them:", [isinstance(v, jax.Array) for v in leaves])

list_of_lists = [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
print("tree.map", jax.tree.map(lambda x: x * 2, list_of_lists))
print("tree.map two trees", jax.tree.map(lambda x, y: x + y, list_of_lists, list_of_lists))
print("tree.reduce", jax.tree.reduce(lambda a, b: a + b, list_of_lists))
print("tree.leaves", jax.tree.leaves({"b": [1, 2], "a": 3}))
print("tree.all", jax.tree.all(jax.tree.map(lambda x: x > 0, list_of_lists)))

tree = {"weights": [1.0, 2.0], "bias": 3.0}
leaves, treedef = jax.tree.flatten(tree)
print("flatten", leaves, "num_leaves", treedef.num_leaves)
print("unflatten", jax.tree.unflatten(treedef, [10.0, 20.0, 30.0]))

flat_with_path, _ = jax.tree_util.tree_flatten_with_path({"a": [1, (2, 3)], "b": {"c": 4}})
for path, leaf in flat_with_path:
    print(f"path {jax.tree_util.keystr(path)} leaf {leaf}")

print(
    "transpose",
    jax.tree.transpose(jax.tree.structure([0, 0]), jax.tree.structure((0, 0)), [(1, 2), (3, 4)]),
)


# a custom container registered as a node
class MyContainer:
    def __init__(self, name, a, b):
        self.name = name
        self.a = a
        self.b = b


def flatten_container(c):
    return [c.a, c.b], c.name


def unflatten_container(name, children):
    return MyContainer(name, *children)


register_pytree_node(MyContainer, flatten_container, unflatten_container)
containers = [MyContainer("alice", 1.0, 2.0), MyContainer("bob", 3.0, 4.0)]
doubled = jax.tree.map(lambda x: 2 * x, containers)
print("custom node leaves", jax.tree.leaves(doubled), [c.name for c in doubled])


class Point(NamedTuple):
    x: float
    y: float


print("namedtuple", jax.tree.map(lambda v: v + 1, Point(1.0, 2.0)))


@dataclasses.dataclass
class Linear:
    weight: jax.Array
    bias: jax.Array
    name: str


jax.tree_util.register_dataclass(Linear, data_fields=["weight", "bias"], meta_fields=["name"])


def init_mlp_params(layer_widths, key):
    params = []
    for i, (n_in, n_out) in enumerate(zip(layer_widths[:-1], layer_widths[1:], strict=True)):
        key, subkey = random.split(key)
        weight = random.normal(subkey, (n_in, n_out)) * jnp.sqrt(2 / n_in)
        params.append(Linear(weight, jnp.ones(n_out), f"layer{i}"))
    return params


params = init_mlp_params([1, 16, 16, 1], random.PRNGKey(0))
print("param shapes", jax.tree.map(lambda p: p.shape, [(p.weight, p.bias) for p in params]))


def forward(params, x):
    *hidden, last = params
    for layer in hidden:
        x = jax.nn.relu(x @ layer.weight + layer.bias)
    return x @ last.weight + last.bias


def loss_fn(params, x, y):
    return jnp.mean((forward(params, x) - y) ** 2)


@jax.jit
def update(params, x, y):
    grads = jax.grad(loss_fn)(params, x, y)
    return jax.tree.map(lambda p, g: p - 0.01 * g, params, grads)


xs = jnp.linspace(-1.0, 1.0, 64)[:, None]
ys = xs**2
for step in range(301):
    if step % 100 == 0:
        print(f"step {step} loss {loss_fn(params, xs, ys):.10f}")
    params = update(params, xs, ys)
print("layer names kept", [p.name for p in params])
sq_norm = jax.tree.reduce(lambda a, b: a + b, jax.tree.map(lambda p: jnp.sum(p**2), params))
print(f"parameter squared norm {sq_norm:.10f}")
