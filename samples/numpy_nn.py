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
        return np.broadcast_to(dout[:, :, None, None] / (h * w), self.shape).astype(np.float32)


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
        dw = self.x.T @ dout
        self.grads["W"] = dw if self.in_out else dw.T
        self.grads["b"] = dout.sum(0)
        return dout @ self._wmat().T


class Sequential:
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

    def parameters(self):
        return [(layer, key) for layer in self.layers for key in layer.params]

    def calibrate_batchnorm(self, x, batch=256):
        """Replace BatchNorm running statistics with exact training-set statistics."""
        bns = [layer for layer in self.layers if isinstance(layer, BatchNorm2D)]
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
    return float(loss), (d / n).astype(np.float32)


def train(model, x, y, epochs, batch, lr, rng, augment=None, log=print, lr_decay=None, weight_decay=0.0):
    """Mini-batch Adam on softmax cross-entropy; `augment(xb, rng)` may jitter inputs."""
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
            logits = model.forward(xb, train=True)
            loss, d = softmax_cross_entropy(logits, y[idx])
            model.backward(d)
            opt.step()
            losses.append(loss)
            correct += int((logits.argmax(1) == y[idx]).sum())
        log(f"  epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}, train acc {correct / len(x):.4f}")


def predict(model, x, batch=500):
    return np.concatenate([model.forward(x[s:s + batch], train=False) for s in range(0, len(x), batch)])
