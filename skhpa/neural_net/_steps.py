"""HPAClassifier's work on one batch: forward pass, loss, training, validation, prediction.

skorch's ``infer``, ``get_loss``, ``train_step_single``, ``validation_step`` and
``evaluation_step``, overridden to move batches to the device, augment on the device and
run under bfloat16 autocast; the accelerator's variant overrides ``_backward``.
"""

import torch
from skorch.dataset import unpack_data

from ..nn import augment_batch


class BatchStepsMixin:
    """The per-batch steps of :class:`~skhpa.HPAClassifier` (overrides of skorch's)."""

    def infer(self, x, **fit_params):
        """Run the module on a batch (override of :meth:`skorch.NeuralNet.infer`).

        Unlike skorch's, the batch is first moved to the device here (and to
        channels-last memory format on CUDA when ``channels_last`` is on), so
        uint8 batches travel to the device before the module normalizes them;
        a dict input is not unpacked into keyword arguments.

        Parameters
        ----------
        x : torch.Tensor or array-like of shape (batch_size, n_channels, height, width)
            A batch of images, uint8 or float, in input units (or of shape
            (batch_size, n_features) for a 2-D module).
        **fit_params
            Extra keyword arguments of the module's ``forward``.

        Returns
        -------
        y_infer : torch.Tensor of shape (batch_size, n_classes)
            The module's output: logits (no sigmoid), on the device.
        """
        x = self._to_device(x)
        try:
            out = self.module_(x, **fit_params)
        except RuntimeError as exc:
            text = str(exc)
            if getattr(x, "dtype", None) == torch.uint8 and (
                "unsigned char" in text or "Byte" in text
            ):
                raise TypeError(
                    f"the module {type(self.module_).__name__} cannot take uint8 images "
                    f"({text.splitlines()[0]}): HPAClassifier passes the images as they are "
                    "(uint8 0-255 from ImageLoader) and the module converts them; start its "
                    "forward with x = x.float() (and normalize: skhpa's modules take the "
                    "fitted channel statistics as mean and std arguments)"
                ) from exc
            raise
        self._check_logits(out)
        return out

    def _check_logits(self, out):
        """Refuse a module output that is not one logit per class: (batch, n_classes_)."""
        n = getattr(self, "n_classes_", None)
        name = type(self.module_).__name__
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f"the module {name} returned a {type(out).__name__}; HPAClassifier needs one "
                f"tensor of logits of shape (batch, {n}) (return the logits alone)"
            )
        if n is not None and (out.dim() != 2 or out.shape[1] != n):
            raise ValueError(
                f"the module {name} returned an output of shape {tuple(out.shape)}; "
                f"HPAClassifier needs logits of shape (batch, {n}): one per class of y "
                f"(a module class with an n_classes argument receives {n})"
            )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion on a batch (override of :meth:`skorch.NeuralNet.get_loss`).

        Unlike skorch's, the targets are converted to a float tensor on the
        device of ``y_pred`` and the logits to float32 (outputs of a bfloat16
        autocast included) before ``criterion_`` is called.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch_size, n_classes)
            The module's logits.
        y_true : torch.Tensor or array-like of shape (batch_size, n_classes)
            The batch's 0/1 indicator matrix.
        X : torch.Tensor or None, default=None
            The input batch; unused (accepted for skorch's signature).
        training : bool, default=False
            Whether the loss is computed for a training step; unused
            (accepted for skorch's signature).

        Returns
        -------
        loss : torch.Tensor
            The criterion's value: a scalar (0-d) tensor for the losses of
            :mod:`skhpa.losses` and :class:`~torch.nn.BCEWithLogitsLoss`.
        """
        y_true = torch.as_tensor(y_true).to(y_pred.device).float()
        return self.criterion_(y_pred.float(), y_true)

    def train_step_single(self, batch, **fit_params):
        """Forward and backward pass of a training batch.

        Override of :meth:`skorch.NeuralNet.train_step_single`: skhpa moves the
        inputs to the device, applies :func:`~skhpa.nn.augment_batch` (on the
        device, with the estimator's seeded generator) when ``augment`` is on,
        runs the forward pass under bfloat16 autocast when ``amp`` enables it
        and computes the gradients through ``_backward`` (the accelerator's
        backward in :class:`~skhpa.neural_net.AcceleratedHPAClassifier`). The
        optimizer step stays skorch's (``train_step``).

        Parameters
        ----------
        batch : tuple of (torch.Tensor, torch.Tensor)
            A batch of the training iterator: images of shape (batch_size,
            n_channels, height, width) and their (batch_size, n_classes)
            indicator matrix.
        **fit_params
            Extra keyword arguments of the module's ``forward``.

        Returns
        -------
        step : dict
            ``"loss"``: the scalar loss tensor (with its graph);
            ``"y_pred"``: the logits, a float32 tensor of shape
            (batch_size, n_classes).
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        Xi = self._to_device(Xi)
        if self.augment:
            Xi = augment_batch(Xi, self._aug_generator)
        with self._autocast():
            y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self._backward(loss)
        return {"loss": loss, "y_pred": y_pred.float()}

    def _backward(self, loss):
        loss.backward()

    def validation_step(self, batch, **fit_params):
        """Forward pass and loss of a validation batch.

        Override of :meth:`skorch.NeuralNet.validation_step`: as skorch's (eval
        mode, no gradients), with the forward pass under bfloat16 autocast when
        ``amp`` enables it and the logits returned as float32. No augmentation.

        Parameters
        ----------
        batch : tuple of (torch.Tensor, torch.Tensor)
            A batch of the validation iterator: images of shape (batch_size,
            n_channels, height, width) and their (batch_size, n_classes)
            indicator matrix.
        **fit_params
            Extra keyword arguments of the module's ``forward``.

        Returns
        -------
        step : dict
            ``"loss"``: the scalar loss tensor; ``"y_pred"``: the logits, a
            float32 tensor of shape (batch_size, n_classes).
        """
        self._set_training(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad(), self._autocast():
            y_pred = self.infer(Xi, **fit_params).float()
        loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def evaluation_step(self, batch, training=False):
        """Forward pass of a prediction batch.

        Override of :meth:`skorch.NeuralNet.evaluation_step`: as skorch's, with
        the forward pass under bfloat16 autocast when ``amp`` enables it and
        the logits returned as float32.

        Parameters
        ----------
        batch : torch.Tensor or tuple
            A batch of the prediction iterator: images of shape (batch_size,
            n_channels, height, width), alone or with targets (ignored).
        training : bool, default=False
            Run the module in training mode with gradients enabled (skorch's
            meaning); prediction uses False.

        Returns
        -------
        y_infer : torch.Tensor of shape (batch_size, n_classes)
            The logits, float32, on the device.
        """
        self.check_is_fitted()
        Xi, _ = unpack_data(batch)
        with torch.set_grad_enabled(training), self._autocast():
            self._set_training(training)
            return self.infer(Xi).float()
