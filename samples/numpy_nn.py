"""A small numpy-only training toolkit for the bundled samples.

Layers keep their parameters in `params` and gradients in `grads` (same keys),
run `forward(x, train)` then `backward(dout)`; convolutions are vectorised
(im2col for dense convolutions, nine shifted multiply-adds for depthwise ones)
so the samples train in minutes on two cores. Everything is float32.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Layer:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, x, train):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


def _he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Conv2D(Layer):
    """Dense convolution (group 1), NCHW, square stride and symmetric padding."""

    def __init__(self, rng, cin, cout, k, stride=1, pad=0, bias=True):
        super().__init__()
        self.k, self.stride, self.pad = k, stride, pad
        self.params["W"] = _he(rng, (cout, cin, k, k), cin * k * k)
        if bias:
            self.params["b"] = np.zeros(cout, np.float32)

    def forward(self, x, train):
        n, c, h, w = x.shape
        k, s, p = self.k, self.stride, self.pad
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        ho, wo = win.shape[2], win.shape[3]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)
        wmat = self.params["W"].reshape(self.params["W"].shape[0], -1)
        out = cols @ wmat.T
        if "b" in self.params:
            out += self.params["b"]
        self.cache = (x.shape, xp.shape, cols, ho, wo)
        return out.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        xshape, xpshape, cols, ho, wo = self.cache
        n, c, h, w = xshape
        k, s, p = self.k, self.stride, self.pad
        W = self.params["W"]
        dmat = dout.transpose(0, 2, 3, 1).reshape(-1, W.shape[0])
        self.grads["W"] = (dmat.T @ cols).reshape(W.shape)
        if "b" in self.params:
            self.grads["b"] = dmat.sum(0)
        dcols = (dmat @ W.reshape(W.shape[0], -1)).reshape(n, ho, wo, c, k, k)
        dxp = np.zeros(xpshape, np.float32)
        for i in range(k):
            for j in range(k):
                dxp[:, :, i:i + s * ho:s, j:j + s * wo:s] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return dxp[:, :, p:p + h, p:p + w] if p else dxp


class DepthwiseConv2D(Layer):
    """Depthwise convolution (group = channels), weight [C, 1, k, k]."""

    def __init__(self, rng, ch, k=3, stride=1, pad=1, bias=False):
        super().__init__()
        self.k, self.stride, self.pad = k, stride, pad
        self.params["W"] = _he(rng, (ch, 1, k, k), k * k)
        if bias:
            self.params["b"] = np.zeros(ch, np.float32)

    def _out_size(self, h):
        return (h + 2 * self.pad - self.k) // self.stride + 1

    def forward(self, x, train):
        n, c, h, w = x.shape
        k, s, p = self.k, self.stride, self.pad
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        ho, wo = self._out_size(h), self._out_size(w)
        W = self.params["W"]
        out = np.zeros((n, c, ho, wo), np.float32)
        for i in range(k):
            for j in range(k):
                out += xp[:, :, i:i + s * ho:s, j:j + s * wo:s] * W[:, 0, i, j][None, :, None, None]
        if "b" in self.params:
            out += self.params["b"][None, :, None, None]
        self.cache = (x.shape, xp, ho, wo)
        return out

    def backward(self, dout):
        xshape, xp, ho, wo = self.cache
        n, c, h, w = xshape
        k, s, p = self.k, self.stride, self.pad
        W = self.params["W"]
        dW = np.zeros_like(W)
        dxp = np.zeros_like(xp)
        for i in range(k):
            for j in range(k):
                sl = (slice(None), slice(None), slice(i, i + s * ho, s), slice(j, j + s * wo, s))
                dW[:, 0, i, j] = np.einsum("nchw,nchw->c", dout, xp[sl])
                dxp[sl] += dout * W[:, 0, i, j][None, :, None, None]
        self.grads["W"] = dW
        if "b" in self.params:
            self.grads["b"] = dout.sum((0, 2, 3))
        return dxp[:, :, p:p + h, p:p + w]


class BatchNorm2D(Layer):
    """Batch normalisation over (N, H, W). Running statistics are recomputed
    exactly over the training set by `calibrate` passes after training."""

    def __init__(self, ch, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.params["gamma"] = np.ones(ch, np.float32)
        self.params["beta"] = np.zeros(ch, np.float32)
        self.running_mean = np.zeros(ch, np.float32)
        self.running_var = np.ones(ch, np.float32)
        self.calibrating = False
        self._cal = []

    def forward(self, x, train):
        g = self.params["gamma"][None, :, None, None]
        b = self.params["beta"][None, :, None, None]
        if not train:
            inv = 1.0 / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean[None, :, None, None]) * (inv[None, :, None, None] * g) + b
        mean = x.mean((0, 2, 3))
        var = x.var((0, 2, 3))
        if self.calibrating:
            self._cal.append((mean, var, x.shape[0] * x.shape[2] * x.shape[3]))
        else:
            m = self.momentum
            count = x.shape[0] * x.shape[2] * x.shape[3]
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * count / max(count - 1, 1)
        inv = (1.0 / np.sqrt(var + self.eps)).astype(np.float32)
        xhat = (x - mean[None, :, None, None]) * inv[None, :, None, None]
        self.cache = (xhat, inv)
        return xhat * g + b

    def finish_calibration(self):
        """Population mean and (unbiased) variance over every calibration batch."""
        means = np.stack([m for m, _, _ in self._cal])
        vars_ = np.stack([v for _, v, _ in self._cal])
        counts = np.array([c for _, _, c in self._cal], np.float64)[:, None]
        total = counts.sum()
        mean = (means * counts).sum(0) / total
        # total variance = mean of within-batch variances + variance of batch means
        var = ((vars_ + (means - mean) ** 2) * counts).sum(0) / total
        self.running_mean = mean.astype(np.float32)
        self.running_var = (var * total / (total - 1)).astype(np.float32)
        self._cal = []
        self.calibrating = False

    def backward(self, dout):
        xhat, inv = self.cache
        g = self.params["gamma"]
        m = dout.shape[0] * dout.shape[2] * dout.shape[3]
        self.grads["gamma"] = (dout * xhat).sum((0, 2, 3))
        self.grads["beta"] = dout.sum((0, 2, 3))
        dxhat = dout * g[None, :, None, None]
        return (inv[None, :, None, None] / m) * (
            m * dxhat - dxhat.sum((0, 2, 3), keepdims=True) - xhat * (dxhat * xhat).sum((0, 2, 3), keepdims=True))


class ReLU(Layer):
    def forward(self, x, train):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class ReLU6(Layer):
    def forward(self, x, train):
        self.mask = (x > 0) & (x < 6)
        return np.clip(x, 0, 6)

    def backward(self, dout):
        return dout * self.mask


class HardSwish(Layer):
    def forward(self, x, train):
        self.x = x
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(self, dout):
        x = self.x
        grad = np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2 * x + 3) / 6)).astype(np.float32)
        return dout * grad


class MaxPool2(Layer):
    """2x2 max pooling with stride 2 (even spatial sizes)."""

    def forward(self, x, train):
        n, c, h, w = x.shape
        blocks = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        self.idx = blocks.argmax(-1)
        self.shape = x.shape
        return np.take_along_axis(blocks, self.idx[..., None], -1)[..., 0]

    def backward(self, dout):
        n, c, h, w = self.shape
        d = np.zeros((n, c, h // 2, w // 2, 4), np.float32)
        np.put_along_axis(d, self.idx[..., None], dout[..., None], -1)
        return d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


class GlobalAvgPool(Layer):
    def forward(self, x, train):
        self.shape = x.shape
        return x.mean((2, 3))

    def backward(self, dout):
        n, c, h, w = self.shape
        return np.broadcast_to(dout[:, :, None, None] / (h * w), self.shape).astype(dout.dtype)


class Flatten(Layer):
    def forward(self, x, train):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class Dense(Layer):
    """y = x @ W.T + b with W [out, in] (Gemm transB=1), or W [in, out] (MatMul) if `in_out`."""

    def __init__(self, rng, nin, nout, in_out=False):
        super().__init__()
        self.in_out = in_out
        shape = (nin, nout) if in_out else (nout, nin)
        self.params["W"] = _he(rng, shape, nin)
        self.params["b"] = np.zeros(nout, np.float32)

    def _wmat(self):
        return self.params["W"] if self.in_out else self.params["W"].T

    def forward(self, x, train):
        self.x = x
        return x @ self._wmat() + self.params["b"]

    def backward(self, dout):
        # any leading dimensions ([N, in], or tokens [N, T, in])
        x2 = self.x.reshape(-1, self.x.shape[-1])
        d2 = dout.reshape(-1, dout.shape[-1])
        dw = x2.T @ d2
        self.grads["W"] = dw if self.in_out else dw.T
        self.grads["b"] = d2.sum(0)
        return dout @ self._wmat().T


class Sequential:
    """Layers in order. Containers (Sequential, Residual, SkipConcat, MulGate) nest:
    `parameters()` and `modules()` walk into them."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, x, train=False):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def children(self):
        return self.layers

    def modules(self):
        """Every leaf layer, depth first."""
        for layer in self.children():
            if hasattr(layer, "modules"):
                yield from layer.modules()
            else:
                yield layer

    def parameters(self):
        return [(layer, key) for layer in self.modules() for key in layer.params]

    def calibrate_batchnorm(self, x, batch=256):
        """Replace BatchNorm running statistics with exact training-set statistics."""
        bns = [layer for layer in self.modules() if isinstance(layer, BatchNorm2D)]
        if not bns:
            return
        for bn in bns:
            bn.calibrating = True
        for start in range(0, len(x), batch):
            self.forward(x[start:start + batch], train=True)
        for bn in bns:
            bn.finish_calibration()


class Adam:
    def __init__(self, model, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
        self.model, self.lr, self.b1, self.b2, self.eps, self.wd = model, lr, b1, b2, eps, weight_decay
        self.state = [(np.zeros_like(l.params[k]), np.zeros_like(l.params[k])) for l, k in model.parameters()]
        self.t = 0

    def step(self):
        self.t += 1
        corr1 = 1 - self.b1 ** self.t
        corr2 = 1 - self.b2 ** self.t
        for (layer, key), (m, v) in zip(self.model.parameters(), self.state):
            g = layer.grads[key]
            if self.wd and key == "W":
                g = g + self.wd * layer.params[key]
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            layer.params[key] -= (self.lr * (m / corr1) / (np.sqrt(v / corr2) + self.eps)).astype(np.float32)


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean loss and its gradient with respect to the logits."""
    p = softmax(logits)
    n = len(labels)
    loss = -np.log(p[np.arange(n), labels] + 1e-12).mean()
    d = p.copy()
    d[np.arange(n), labels] -= 1
    return float(loss), (d / n).astype(logits.dtype)


def train(model, x, y, epochs, batch, lr, rng, augment=None, log=print, lr_decay=None, weight_decay=0.0,
          loss=None, prepare=None):
    """Mini-batch Adam on `loss(outputs, labels) -> (mean loss, d outputs)` (softmax
    cross-entropy over axis 1 of [N, C] by default; then train accuracy is logged too).
    `augment(xb, rng)` may jitter inputs; `prepare(xb)` maps a stored batch (e.g. uint8)
    to the model's input after augmentation."""
    classify = loss is None
    loss = loss or softmax_cross_entropy
    opt = Adam(model, lr=lr, weight_decay=weight_decay)
    for epoch in range(epochs):
        if lr_decay is not None:
            opt.lr = lr * lr_decay(epoch)
        order = rng.permutation(len(x))
        losses, correct = [], 0
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            xb = x[idx]
            if augment is not None:
                xb = augment(xb, rng)
            if prepare is not None:
                xb = prepare(xb)
            logits = model.forward(xb, train=True)
            value, d = loss(logits, y[idx])
            model.backward(d)
            opt.step()
            losses.append(value)
            if classify:
                correct += int((logits.argmax(1) == y[idx]).sum())
        acc = f", train acc {correct / len(x):.4f}" if classify else ""
        log(f"  epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}{acc}")


def predict(model, x, batch=500):
    return np.concatenate([model.forward(x[s:s + batch], train=False) for s in range(0, len(x), batch)])


# --------------------------------------------------------------------------- recurrent layers
#
# Time-major ([T, N, I] in, [T, N, H] out) single-direction cells in the ONNX
# gate layouts, so their weights export as-is: LSTM gates i, o, f, c; GRU gates
# z, r, h with linear_before_reset=1; RNN tanh. `reverse=True` runs the
# sequence backwards (the second half of a bidirectional layer). Backward is
# plain BPTT over the whole sequence; `dh0` is the gradient of the initial state.

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class _Recurrent(Layer):
    gates = 1

    def __init__(self, rng, nin, hidden, reverse=False, dtype=np.float32):
        super().__init__()
        self.hidden, self.reverse = hidden, reverse
        scale = 1.0 / np.sqrt(hidden)
        g = self.gates * hidden
        self.params["W"] = rng.uniform(-scale, scale, (g, nin)).astype(dtype)
        self.params["R"] = rng.uniform(-scale, scale, (g, hidden)).astype(dtype)
        self.params["Wb"] = np.zeros(g, dtype)
        self.params["Rb"] = np.zeros(g, dtype)

    def onnx_tensors(self):
        """(W [1,G*H,I], R [1,G*H,H], B [1,2*G*H]) for one direction of the ONNX op."""
        p = self.params
        return p["W"][None], p["R"][None], np.concatenate([p["Wb"], p["Rb"]])[None]

    def forward(self, x, train=False, h0=None):
        """x [T, N, I] → Y [T, N, H]; the final state is `self.h_last` (and `self.c_last` for LSTM)."""
        if self.reverse:
            x = x[::-1]
        T, N, _ = x.shape
        H = self.hidden
        h = np.zeros((N, H), x.dtype) if h0 is None else np.broadcast_to(h0, (N, H)).astype(x.dtype)
        xw = (x.reshape(T * N, -1) @ self.params["W"].T + self.params["Wb"]).reshape(T, N, -1)
        ys, caches = [], []
        state = self._init_state(N, x.dtype)
        for t in range(T):
            h, state, cache = self._step(xw[t], h, state)
            ys.append(h)
            caches.append(cache)
        self.cache = (x, caches, h0 is not None and np.shape(h0)[0] == 1 and N > 1)
        self.h_last = h
        self.c_last = state
        y = np.stack(ys)
        return y[::-1] if self.reverse else y

    def backward(self, dy, dh_last=None):
        x, caches, h0_shared = self.cache
        if self.reverse:
            dy = dy[::-1]
        T, N, _ = x.shape
        p = self.params
        dxw = np.zeros((T, N, p["W"].shape[0]), x.dtype)
        for k in ("R", "Rb"):
            self.grads[k] = np.zeros_like(p[k])
        dh = np.zeros((N, self.hidden), x.dtype) if dh_last is None else dh_last.astype(x.dtype)
        dstate = None
        for t in reversed(range(T)):
            dh = dh + dy[t]
            dxw[t], dh, dstate = self._step_back(caches[t], dh, dstate)
        self.grads["W"] = dxw.reshape(T * N, -1).T @ x.reshape(T * N, -1)
        self.grads["Wb"] = dxw.sum((0, 1))
        self.dh0 = dh.sum(0, keepdims=True) if h0_shared else dh
        dx = (dxw.reshape(T * N, -1) @ p["W"]).reshape(x.shape)
        return dx[::-1] if self.reverse else dx

    def _init_state(self, n, dtype):
        return None


class RNN(_Recurrent):
    """h = tanh(x W^T + h R^T + Wb + Rb) (ONNX RNN, activation Tanh)."""
    gates = 1

    def _step(self, xw, h_prev, state):
        h = np.tanh(xw + h_prev @ self.params["R"].T + self.params["Rb"])
        return h, None, (h_prev, h)

    def _step_back(self, cache, dh, dstate):
        h_prev, h = cache
        da = dh * (1 - h * h)
        self.grads["R"] += da.T @ h_prev
        self.grads["Rb"] += da.sum(0)
        return da, da @ self.params["R"], None


class LSTM(_Recurrent):
    """ONNX LSTM, one direction, gates i, o, f, c; no peepholes; zero initial cell."""
    gates = 4

    def _init_state(self, n, dtype):
        return np.zeros((n, self.hidden), dtype)

    def _step(self, xw, h_prev, c_prev):
        H = self.hidden
        a = xw + h_prev @ self.params["R"].T + self.params["Rb"]
        i, o, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:])
        c = f * c_prev + i * g
        tc = np.tanh(c)
        h = o * tc
        return h, c, (h_prev, c_prev, i, o, f, g, tc)

    def _step_back(self, cache, dh, dc):
        h_prev, c_prev, i, o, f, g, tc = cache
        dc = dh * o * (1 - tc * tc) + (0 if dc is None else dc)
        da = np.concatenate([dc * g * i * (1 - i), dh * tc * o * (1 - o),
                             dc * c_prev * f * (1 - f), dc * i * (1 - g * g)], axis=1)
        self.grads["R"] += da.T @ h_prev
        self.grads["Rb"] += da.sum(0)
        return da, da @ self.params["R"], dc * f


class GRU(_Recurrent):
    """ONNX GRU, one direction, gates z, r, h, linear_before_reset=1 (the PyTorch form)."""
    gates = 3

    def _step(self, xw, h_prev, state):
        H = self.hidden
        hr = h_prev @ self.params["R"].T + self.params["Rb"]
        z = sigmoid(xw[:, :H] + hr[:, :H])
        r = sigmoid(xw[:, H:2 * H] + hr[:, H:2 * H])
        n = np.tanh(xw[:, 2 * H:] + r * hr[:, 2 * H:])
        h = (1 - z) * n + z * h_prev
        return h, None, (h_prev, hr, z, r, n)

    def _step_back(self, cache, dh, dstate):
        h_prev, hr, z, r, n = cache
        H = self.hidden
        dan = dh * (1 - z) * (1 - n * n)
        daz = dh * (h_prev - n) * z * (1 - z)
        dar = dan * hr[:, 2 * H:] * r * (1 - r)
        dxw = np.concatenate([daz, dar, dan], axis=1)
        dhr = np.concatenate([daz, dar, dan * r], axis=1)
        self.grads["R"] += dhr.T @ h_prev
        self.grads["Rb"] += dhr.sum(0)
        return dxw, dh * z + dhr @ self.params["R"], None


class Bidirectional(Layer):
    """Forward and reverse copies of a cell, outputs concatenated on the feature axis
    ([T, N, 2H]); ONNX `direction="bidirectional"` with the forward direction first."""

    def __init__(self, rng, cell, nin, hidden, dtype=np.float32):
        super().__init__()
        self.fw = cell(rng, nin, hidden, dtype=dtype)
        self.bw = cell(rng, nin, hidden, reverse=True, dtype=dtype)
        self.hidden = hidden
        for name, layer in (("fw", self.fw), ("bw", self.bw)):
            for k in layer.params:
                self.params[f"{name}.{k}"] = layer.params[k]

    def onnx_tensors(self):
        parts = [self.fw.onnx_tensors(), self.bw.onnx_tensors()]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

    def forward(self, x, train=False):
        return np.concatenate([self.fw.forward(x, train), self.bw.forward(x, train)], axis=2)

    def backward(self, dy):
        H = self.hidden
        dx = self.fw.backward(dy[:, :, :H]) + self.bw.backward(dy[:, :, H:])
        for name, layer in (("fw", self.fw), ("bw", self.bw)):
            for k in layer.params:
                self.grads[f"{name}.{k}"] = layer.grads[k]
        return dx


def check_recurrent_gradients(rng, eps=1e-6):
    """Central differences against BPTT on tiny float64 cases (every cell, both
    directions, a shared [1,H] initial state, the bidirectional wrapper).
    Returns the largest relative error over all parameters, inputs and h0."""
    worst = 0.0

    def rel(a, b):
        return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12))

    cases = [(cls, rev, shared) for cls in (RNN, LSTM, GRU) for rev in (False, True) for shared in (False, True)]
    for cls, rev, shared in cases + [("bi", False, False)]:
        T, N, I, H = 4, 3, 5, 3
        if cls == "bi":
            layer = Bidirectional(rng, LSTM, I, H, dtype=np.float64)
            H2 = 2 * H
        else:
            layer = cls(rng, I, H, reverse=rev, dtype=np.float64)
            for k in layer.params:  # non-zero biases exercise every term
                layer.params[k] += rng.normal(0, 0.3, layer.params[k].shape)
            H2 = H
        x = rng.standard_normal((T, N, I))
        h0 = rng.standard_normal((1 if shared else N, H)) if cls != "bi" else None
        gy = rng.standard_normal((T, N, H2))
        gh = rng.standard_normal((N, H))

        def loss():
            if cls == "bi":
                return float((layer.forward(x) * gy).sum())
            y = layer.forward(x, h0=h0)
            return float((y * gy).sum() + (layer.h_last * gh).sum())

        loss()
        if cls == "bi":
            dx = layer.backward(gy)
        else:
            dx = layer.backward(gy, gh)
        checks = [(x, dx)] + [(layer.params[k], layer.grads[k]) for k in layer.params]
        if cls != "bi":
            checks.append((h0, layer.dh0))
        for value, analytic in checks:
            numeric = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                old = value[idx]
                value[idx] = old + eps
                up = loss()
                value[idx] = old - eps
                down = loss()
                value[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            worst = max(worst, rel(numeric, analytic))
# --------------------------------------------------------------------------- dense prediction, gates, attention
# Added for samples/make_task_samples.py (segmenter, heatmap, sigmoid head, regressor,
# transformer, MobileNetV3, FPN detector). Layers here keep the dtype of their input, so
# `gradient_check` can run them in float64.

def interpolation_matrix(size, scale, mode):
    """[size*scale, size] matrix of ONNX Resize along one axis: `nearest` with
    coordinate_transformation_mode=asymmetric, nearest_mode=floor (torch's export), or
    `linear` with half_pixel (torch's bilinear, align_corners=False; edges clamped)."""
    out = size * scale
    m = np.zeros((out, size), np.float64)
    for o in range(out):
        if mode == "nearest":
            m[o, min(int(np.floor(o / scale)), size - 1)] = 1.0
        else:
            src = max((o + 0.5) / scale - 0.5, 0.0)
            i0 = min(int(np.floor(src)), size - 1)
            i1 = min(i0 + 1, size - 1)
            f = src - i0
            m[o, i0] += 1.0 - f
            m[o, i1] += f
    return m.astype(np.float32)


class Upsample(Layer):
    """Integer-factor upsampling of [N, C, H, W] as ONNX Resize (see interpolation_matrix)."""

    def __init__(self, scale=2, mode="nearest"):
        super().__init__()
        self.scale, self.mode = scale, mode
        self._mats = {}

    def _mat(self, size, dtype):
        key = (size, dtype)
        if key not in self._mats:
            self._mats[key] = interpolation_matrix(size, self.scale, self.mode).astype(dtype)
        return self._mats[key]

    def forward(self, x, train):
        self.shape = x.shape
        if self.mode == "nearest":
            s = self.scale
            return x.repeat(s, 2).repeat(s, 3)
        mh, mw = self._mat(x.shape[2], x.dtype), self._mat(x.shape[3], x.dtype)
        return mh @ x @ mw.T

    def backward(self, dout):
        n, c, h, w = self.shape
        if self.mode == "nearest":
            s = self.scale
            return dout.reshape(n, c, h, s, w, s).sum((3, 5))
        mh, mw = self._mat(h, dout.dtype), self._mat(w, dout.dtype)
        return mh.T @ dout @ mw


class ConvTranspose2(Layer):
    """ConvTranspose with kernel 2, stride 2 (no overlap), weight [Cin, Cout, 2, 2] as ONNX stores it."""

    def __init__(self, rng, cin, cout, bias=True):
        super().__init__()
        self.params["W"] = _he(rng, (cin, cout, 2, 2), cin)
        if bias:
            self.params["b"] = np.zeros(cout, np.float32)

    def forward(self, x, train):
        n, c, h, w = x.shape
        W = self.params["W"]
        cout = W.shape[1]
        xmat = x.transpose(0, 2, 3, 1).reshape(-1, c)
        out = (xmat @ W.reshape(c, -1)).reshape(n, h, w, cout, 2, 2).transpose(0, 3, 1, 4, 2, 5)
        out = out.reshape(n, cout, 2 * h, 2 * w)
        if "b" in self.params:
            out = out + self.params["b"][None, :, None, None]
        self.cache = (x.shape, xmat)
        return out

    def backward(self, dout):
        (n, c, h, w), xmat = self.cache
        W = self.params["W"]
        cout = W.shape[1]
        dmat = dout.reshape(n, cout, h, 2, w, 2).transpose(0, 2, 4, 1, 3, 5).reshape(n * h * w, -1)
        self.grads["W"] = (xmat.T @ dmat).reshape(W.shape)
        if "b" in self.params:
            self.grads["b"] = dout.sum((0, 2, 3))
        return (dmat @ W.reshape(c, -1).T).reshape(n, h, w, c).transpose(0, 3, 1, 2)


class Sigmoid(Layer):
    def forward(self, x, train):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class HardSigmoid(Layer):
    """ONNX HardSigmoid: max(0, min(1, alpha*x + beta)); torch's is alpha=1/6, beta=0.5."""

    def __init__(self, alpha=1 / 6, beta=0.5):
        super().__init__()
        self.alpha, self.beta = alpha, beta

    def forward(self, x, train):
        z = self.alpha * x + self.beta
        self.mask = (z > 0) & (z < 1)
        return np.clip(z, 0, 1).astype(x.dtype)

    def backward(self, dout):
        return dout * self.mask * self.alpha


class Unflatten(Layer):
    """[N, C] to [N, C, 1, 1] (what a 1x1 Conv on a pooled map computes)."""

    def forward(self, x, train):
        return x[:, :, None, None]

    def backward(self, dout):
        return dout[:, :, 0, 0]


class _Container(Sequential):
    def __init__(self, inner):
        super().__init__([inner])
        self.inner = inner


def _reduce_to(d, shape):
    """Sum a broadcast gradient back to `shape`."""
    axes = tuple(i for i, (a, b) in enumerate(zip(d.shape, shape)) if b == 1 and a != 1)
    return d.sum(axes, keepdims=True) if axes else d


class Residual(_Container):
    """y = x + inner(x) (inner's output may broadcast, e.g. [N, C, 1, 1] global context)."""

    def forward(self, x, train=False):
        self.inner_shape = None
        out = self.inner.forward(x, train)
        self.inner_shape = out.shape
        return x + out

    def backward(self, dout):
        return dout + self.inner.backward(_reduce_to(dout, self.inner_shape))


class MulGate(_Container):
    """y = x * inner(x) with inner's output [N, C, 1, 1]: squeeze-and-excite."""

    def forward(self, x, train=False):
        self.x = x
        self.g = self.inner.forward(x, train)
        return x * self.g

    def backward(self, dout):
        return dout * self.g + self.inner.backward(_reduce_to(dout * self.x, self.g.shape))


class SkipConcat(_Container):
    """y = Concat([inner(x), x], axis=1): a U-Net level (inner = down, ..., up)."""

    def forward(self, x, train=False):
        out = self.inner.forward(x, train)
        self.split = out.shape[1]
        return np.concatenate([out, x], 1)

    def backward(self, dout):
        return self.inner.backward(dout[:, :self.split]) + dout[:, self.split:]


class Patchify(Layer):
    """[N, 1, H, W] to [N, (H/p)*(W/p), p*p] tokens, row-major patches: in ONNX
    Reshape [N, H/p, p, W/p, p] → Transpose [0, 1, 3, 2, 4] → Reshape [N, T, p*p]."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x, train):
        n, _, h, w = x.shape
        p = self.p
        self.shape = x.shape
        return x.reshape(n, h // p, p, w // p, p).transpose(0, 1, 3, 2, 4).reshape(n, (h // p) * (w // p), p * p)

    def backward(self, dout):
        n, _, h, w = self.shape
        p = self.p
        return dout.reshape(n, h // p, w // p, p, p).transpose(0, 1, 3, 2, 4).reshape(self.shape)


class AddParameter(Layer):
    """y = x + P (P shaped like one sample, e.g. positional embeddings [T, D])."""

    def __init__(self, rng, shape, std=0.02):
        super().__init__()
        self.params["P"] = (rng.standard_normal(shape) * std).astype(np.float32)

    def forward(self, x, train):
        return x + self.params["P"]

    def backward(self, dout):
        self.grads["P"] = dout.sum(0)
        return dout


class LayerNorm(Layer):
    """Over the last axis (ONNX LayerNormalization, axis=-1)."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.params["gamma"] = np.ones(dim, np.float32)
        self.params["beta"] = np.zeros(dim, np.float32)

    def forward(self, x, train):
        mu = x.mean(-1, keepdims=True)
        var = x.var(-1, keepdims=True)
        self.inv = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.xhat * self.params["gamma"] + self.params["beta"]

    def backward(self, dout):
        lead = tuple(range(dout.ndim - 1))
        self.grads["gamma"] = (dout * self.xhat).sum(lead)
        self.grads["beta"] = dout.sum(lead)
        dxhat = dout * self.params["gamma"]
        return self.inv * (dxhat - dxhat.mean(-1, keepdims=True)
                           - self.xhat * (dxhat * self.xhat).mean(-1, keepdims=True))


class GELU(Layer):
    """Exact GELU, 0.5·x·(1 + erf(x/√2)) (ONNX Gelu, or the Erf form torch exports)."""

    def forward(self, x, train):
        from scipy.special import erf
        self.x = x
        self.cdf = 0.5 * (1 + erf(x / np.sqrt(2.0))).astype(x.dtype)
        return x * self.cdf

    def backward(self, dout):
        x = self.x
        pdf = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
        return dout * (self.cdf + x * pdf)


class MultiHeadSelfAttention(Layer):
    """Self-attention over [N, T, D]: Q, K, V and output projections with weights
    [D, D] stored [in, out] (MatMul) and biases; `heads` heads of D/heads."""

    def __init__(self, rng, dim, heads):
        super().__init__()
        self.heads = heads
        for name in ("q", "k", "v", "o"):
            self.params[f"W{name}"] = (rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
            self.params[f"b{name}"] = np.zeros(dim, np.float32)

    def _split(self, t):  # [N, T, D] -> [N, H, T, dh]
        n, T, d = t.shape
        return t.reshape(n, T, self.heads, d // self.heads).transpose(0, 2, 1, 3)

    @staticmethod
    def _merge(t):  # [N, H, T, dh] -> [N, T, D]
        n, h, T, dh = t.shape
        return t.transpose(0, 2, 1, 3).reshape(n, T, h * dh)

    def forward(self, x, train):
        P = self.params
        q = self._split(x @ P["Wq"] + P["bq"])
        k = self._split(x @ P["Wk"] + P["bk"])
        v = self._split(x @ P["Wv"] + P["bv"])
        self.scale = 1 / np.sqrt(q.shape[-1])
        s = (q @ k.transpose(0, 1, 3, 2)) * np.asarray(self.scale, x.dtype)
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a /= a.sum(-1, keepdims=True)
        o = self._merge(a @ v)
        self.cache = (x, q, k, v, a, o)
        return o @ P["Wo"] + P["bo"]

    def backward(self, dout):
        P = self.params
        x, q, k, v, a, o = self.cache
        x2 = x.reshape(-1, x.shape[-1])
        d2 = dout.reshape(-1, dout.shape[-1])
        self.grads["Wo"] = o.reshape(-1, o.shape[-1]).T @ d2
        self.grads["bo"] = d2.sum(0)
        do = self._split(dout @ P["Wo"].T)
        da = do @ v.transpose(0, 1, 3, 2)
        dv = a.transpose(0, 1, 3, 2) @ do
        ds = a * (da - (da * a).sum(-1, keepdims=True)) * np.asarray(self.scale, x.dtype)
        dq = ds @ k
        dk = ds.transpose(0, 1, 3, 2) @ q
        dx = 0
        for name, dt in (("q", dq), ("k", dk), ("v", dv)):
            dt = self._merge(dt)
            dt2 = dt.reshape(-1, dt.shape[-1])
            self.grads[f"W{name}"] = x2.T @ dt2
            self.grads[f"b{name}"] = dt2.sum(0)
            dx = dx + dt @ P[f"W{name}"].T
        return dx


class MeanTokens(Layer):
    """[N, T, D] to [N, D] (ONNX ReduceMean over axis 1)."""

    def forward(self, x, train):
        self.T = x.shape[1]
        return x.mean(1)

    def backward(self, dout):
        return np.repeat(dout[:, None, :] / self.T, self.T, 1)


def pixel_softmax_cross_entropy(logits, labels, class_weights=None):
    """Per-pixel softmax cross-entropy: logits [N, C, H, W], integer labels [N, H, W];
    optional per-class weights (the loss is the weighted mean)."""
    n, c = logits.shape[:2]
    z = logits.transpose(0, 2, 3, 1).reshape(-1, c)
    lab = labels.reshape(-1)
    p = softmax(z)
    w = np.ones(len(lab)) if class_weights is None else np.asarray(class_weights, np.float64)[lab]
    w = w / w.sum()
    loss = -(w * np.log(p[np.arange(len(lab)), lab] + 1e-12)).sum()
    d = p
    d[np.arange(len(lab)), lab] -= 1
    d = (d * w[:, None]).astype(logits.dtype)
    return float(loss), d.reshape(n, *logits.shape[2:], c).transpose(0, 3, 1, 2)


def sigmoid_binary_cross_entropy(logits, targets):
    """Binary cross-entropy on logits (the graph applies the Sigmoid); targets in [0, 1],
    any shape with as many elements as the logits."""
    t = np.asarray(targets, logits.dtype).reshape(logits.shape)
    z = logits
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    d = (1 / (1 + np.exp(-z)) - t) / z.size
    return float(loss.mean()), d.astype(logits.dtype)


def mean_squared_error(out, targets):
    t = np.asarray(targets, out.dtype).reshape(out.shape)
    diff = out - t
    return float((diff * diff).mean()), (2 * diff / diff.size).astype(out.dtype)


def gradient_check(model, x, y, loss, rng, checks=6, eps=1e-5):
    """Compare backprop with central differences, in float64, on a few entries of every
    parameter and of the input. Returns the worst relative error |num - ana| / (|num| + |ana|),
    floored at 1e-4 in the denominator. Leaves the model in float64: use a throw-away model."""
    for layer, key in model.parameters():
        layer.params[key] = layer.params[key].astype(np.float64)
    x = np.asarray(x, np.float64)

    def value(inp):
        return loss(model.forward(inp, train=True), y)[0]

    _, d = loss(model.forward(x, train=True), y)
    dx = model.backward(np.asarray(d, np.float64))
    analytic = [(layer.params, key, layer.grads[key].copy()) for layer, key in model.parameters()]
    analytic.append(({"x": x}, "x", dx))
    worst = 0.0
    for store, key, grad in analytic:
        arr = store[key]
        for flat in rng.choice(arr.size, min(checks, arr.size), replace=False):
            idx = np.unravel_index(flat, arr.shape)
            old = arr[idx]
            arr[idx] = old + eps
            up = value(x)
            arr[idx] = old - eps
            down = value(x)
            arr[idx] = old
            numeric = (up - down) / (2 * eps)
            # floor: gradients that vanish exactly (e.g. the key bias under softmax) leave only noise
            err = abs(numeric - grad[idx]) / max(1e-4, abs(numeric) + abs(grad[idx]))
            worst = max(worst, err)
    return worst
