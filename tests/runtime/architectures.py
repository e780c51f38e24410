"""Real architectures built locally at small sizes with seeded weights, exported to ONNX.

CNNs are torch.nn modules (TorchScript exporter, opset 17, BatchNormalization kept as nodes so the
exact profile's folding runs); transformers come from `transformers` configs (seeded init) through
both torch exporters. Each build writes model.onnx and data.npz (x: a few inputs) into a folder; the
test caches the folders with runtime/zoo/cache.py.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

SEED = 0
IMAGE = (3, 32, 32)
SEQ, VOCAB = 8, 128


# ---------------------------------------------------------------- CNNs


def _conv_bn(cin, cout, k, stride=1, groups=1):
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


def resnet():
    import torch.nn as nn

    class Bottleneck(nn.Module):  # ResNet-50's block: 1x1 reduce, 3x3, 1x1 expand, BN after each, projection skip
        def __init__(self, cin, mid, cout, stride):
            super().__init__()
            self.body = nn.Sequential(_conv_bn(cin, mid, 1), _conv_bn(mid, mid, 3, stride),
                                      nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = (nn.Identity() if cin == cout and stride == 1 else
                         nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

        def forward(self, x):
            return (self.body(x) + self.skip(x)).relu()

    return nn.Sequential(nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                         Bottleneck(8, 4, 16, 1), Bottleneck(16, 8, 32, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, 10))


def densenet():
    import torch
    import torch.nn as nn

    class Dense(nn.Module):  # BN-ReLU-Conv1x1-BN-ReLU-Conv3x3, output concatenated to the input
        def __init__(self, cin, growth):
            super().__init__()
            self.f = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, 4 * growth, 1, bias=False),
                                   nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False))

        def forward(self, x):
            return torch.cat([x, self.f(x)], 1)

    return nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), Dense(8, 4), Dense(12, 4),
                         nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 8, 1, bias=False), nn.AvgPool2d(2, 2),  # transition
                         Dense(8, 4), nn.BatchNorm2d(12), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(12, 10))


def inception(v2: bool):
    import torch
    import torch.nn as nn

    def cb(cin, cout, k):  # v1: conv+ReLU; v2: conv+BN+ReLU
        return _conv_bn(cin, cout, k) if v2 else nn.Sequential(nn.Conv2d(cin, cout, k, 1, k // 2), nn.ReLU())

    class Block(nn.Module):
        def __init__(self, cin):
            super().__init__()
            self.b1 = cb(cin, 4, 1)
            self.b2 = nn.Sequential(cb(cin, 4, 1), cb(4, 6, 3))
            # v1's 5x5 branch; v2 factors it into two 3x3
            self.b3 = nn.Sequential(cb(cin, 2, 1), cb(2, 4, 3), cb(4, 4, 3)) if v2 else nn.Sequential(cb(cin, 2, 1), cb(2, 4, 5))
            pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False) if v2 else nn.MaxPool2d(3, 1, 1)
            self.b4 = nn.Sequential(pool, cb(cin, 2, 1))

        def forward(self, x):
            return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)

    return nn.Sequential(cb(3, 8, 3), nn.MaxPool2d(3, 2, 1), Block(8), Block(16), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.4), nn.Linear(16, 10))


def shufflenet():
    import torch.nn as nn

    class Shuffle(nn.Module):  # channel shuffle: Reshape, Transpose, Reshape
        def __init__(self, groups):
            super().__init__()
            self.g = groups

        def forward(self, x):
            b, c, h, w = x.shape
            return x.view(b, self.g, c // self.g, h, w).transpose(1, 2).reshape(b, c, h, w)

    class Unit(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.f = nn.Sequential(_conv_bn(c, c, 1, groups=2), Shuffle(2),
                                   nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False), nn.BatchNorm2d(c),  # depthwise
                                   nn.Conv2d(c, c, 1, groups=2, bias=False), nn.BatchNorm2d(c))

        def forward(self, x):
            return (x + self.f(x)).relu()

    return nn.Sequential(_conv_bn(3, 8, 3, 2), Unit(8), Unit(8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


def squeezenet():
    import torch
    import torch.nn as nn

    class Fire(nn.Module):
        def __init__(self, cin, s, e):
            super().__init__()
            self.s = nn.Sequential(nn.Conv2d(cin, s, 1), nn.ReLU())
            self.e1 = nn.Sequential(nn.Conv2d(s, e, 1), nn.ReLU())
            self.e3 = nn.Sequential(nn.Conv2d(s, e, 3, 1, 1), nn.ReLU())

        def forward(self, x):
            x = self.s(x)
            return torch.cat([self.e1(x), self.e3(x)], 1)

    return nn.Sequential(nn.Conv2d(3, 8, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(8, 4, 8), Fire(16, 4, 8),
                         nn.Dropout(0.5), nn.Conv2d(16, 10, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _lrn():
    """LocalResponseNorm exported as one ONNX LRN node, as the model zoo's AlexNet has it (torch's own
    export decomposes it into Pad, AvgPool and Pow)."""
    import torch

    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.nn.functional.local_response_norm(x, 5, 1e-4, 0.75, 2.0)

        @staticmethod
        def symbolic(g, x):
            return g.op("LRN", x, size_i=5, alpha_f=1e-4, beta_f=0.75, bias_f=2.0)

    class LRN(torch.nn.Module):
        def forward(self, x):
            return F.apply(x)

    return LRN()


def alexnet():
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(3, 8, 5, 2, 2), nn.ReLU(), _lrn(), nn.MaxPool2d(3, 2),
                         nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), _lrn(), nn.MaxPool2d(3, 2),
                         nn.Flatten(), nn.Dropout(), nn.Linear(16 * 3 * 3, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 10))


def vgg():
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.ReLU(), nn.Conv2d(8, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 10))


CNNS = {"resnet": resnet, "densenet": densenet, "inception-v1": lambda: inception(False),
        "inception-v2": lambda: inception(True), "shufflenet": shufflenet, "squeezenet": squeezenet,
        "alexnet": alexnet, "vgg": vgg}


def _randomize_bn(net):
    """Seeded running statistics and affine terms, so BatchNormalization is not an identity."""
    import torch

    g = torch.Generator().manual_seed(SEED + 1)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def build_cnn(name: str, out: Path) -> None:
    import torch

    from runtime.zoo.export import export_torch

    torch.manual_seed(SEED)
    net = CNNS[name]().eval()
    with torch.no_grad():
        _randomize_bn(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_torch(net, (1,) + IMAGE, out / "model.onnx", fold=False)
    x = np.random.default_rng(SEED).standard_normal((8,) + IMAGE).astype(np.float32)
    np.savez(out / "data.npz", x=x)


# ---------------------------------------------------------------- transformers


def _hf(name: str):
    import transformers as t

    common = dict(attn_implementation="eager")
    if name == "gpt2":
        return t.GPT2LMHeadModel(t.GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=2,
                                              use_cache=False, **common))
    if name == "bert":
        return t.BertForMaskedLM(t.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                              intermediate_size=64, max_position_embeddings=32, **common))
    if name == "distilbert":
        return t.DistilBertForMaskedLM(t.DistilBertConfig(vocab_size=VOCAB, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                                          max_position_embeddings=32, **common))
    if name == "llama":
        return t.LlamaForCausalLM(t.LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32,
                                                use_cache=False, **common))
    if name == "vit":
        return t.ViTForImageClassification(t.ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32,
                                                       num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                                       num_labels=10, **common))
    raise KeyError(name)


TRANSFORMERS = ("gpt2", "bert", "distilbert", "vit", "llama")


def build_transformer(name: str, dynamo: bool, out: Path) -> None:
    import torch

    torch.manual_seed(SEED)
    net = _hf(name).eval()
    image = name == "vit"

    class Logits(torch.nn.Module):  # one input, one output: the logits
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            if image:
                return self.net(pixel_values=x).logits
            # an explicit all-ones mask: without one, transformers' mask code looks for packed
            # sequences with aten::diff, which the TorchScript exporter cannot export
            return self.net(input_ids=x, attention_mask=torch.ones_like(x)).logits

    rng = np.random.default_rng(SEED)
    x = (rng.standard_normal((4,) + IMAGE).astype(np.float32) if image
         else rng.integers(0, VOCAB, (4, SEQ)).astype(np.int64))
    example = torch.from_numpy(x[:2])
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        if dynamo:
            prog = torch.onnx.export(Logits().eval(), (example,), dynamo=True, input_names=["input"],
                                     output_names=["output"], verbose=False)
            prog.save(str(out / "model.onnx"))
        else:
            torch.onnx.export(Logits().eval(), (example,), str(out / "model.onnx"), dynamo=False, opset_version=17,
                              input_names=["input"], output_names=["output"])
    np.savez(out / "data.npz", x=x[:2])
