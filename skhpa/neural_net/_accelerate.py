"""Data-parallel training with HuggingFace accelerate (optional extra: skhpa[accelerate])."""

from ._classifier import HPAClassifier

try:  # accelerate is optional; skorch ships the mixin
    import accelerate  # noqa: F401
    from skorch.hf import AccelerateMixin as _Base
except ImportError:  # the placeholder class below explains how to get it
    _Base = None


if _Base is not None:

    class AcceleratedHPAClassifier(_Base, HPAClassifier):
        """:class:`HPAClassifier` trained data-parallel by HuggingFace accelerate.

        Combines skorch's :class:`~skorch.hf.AccelerateMixin` with
        HPAClassifier: run the script with ``accelerate launch`` (or
        ``torchrun``) and every process trains on its shard of each batch,
        with gradients averaged across processes (DDP). The training batches
        are sharded; validation and prediction run in full on every process
        (predict on one process, e.g. when ``accelerator.is_main_process``).
        Device placement and mixed precision belong to the ``Accelerator``:
        leave ``device=None`` and set ``mixed_precision`` there.

        Every process must see the same data and use the same
        ``random_state``: each epoch's shuffling is seeded from it, which is
        what keeps the shards disjoint.

        Parameters
        ----------
        *args, **kwargs
            As for :class:`HPAClassifier`.
        accelerator : accelerate.Accelerator
            The accelerator that prepares the module, optimizer and training
            DataLoader, and places the batches.
        device : str or None, default=None
            None leaves device placement to ``accelerator`` (recommended); a
            device string places the batches as :class:`HPAClassifier` does.
        unwrap_after_train : bool, default=True
            Unwrap the DDP module after training (it then pickles and saves
            like an HPAClassifier's).

        Examples
        --------
        >>> from accelerate import Accelerator
        >>> from skhpa.neural_net import AcceleratedHPAClassifier
        >>> from skhpa.datasets import make_hpa_like
        >>> from skhpa.nn import SeedCNN
        >>> X, Y = make_hpa_like(32, image_size=32, label_distribution="flat", random_state=0)
        >>> net = AcceleratedHPAClassifier(SeedCNN, accelerator=Accelerator(cpu=True),
        ...                                max_epochs=1, train_split=None, random_state=0)
        >>> net.fit(X, Y).predict_proba(X).shape
        (32, 28)
        """

        def __init__(self, *args, accelerator, device=None, **kwargs):
            super().__init__(*args, accelerator=accelerator, device=device, **kwargs)

        def __skhpa_save_as__(self):
            """What :func:`skhpa.save_model` stores: an :class:`HPAClassifier`.

            The accelerator (processes, devices, mixed precision) and the log's
            sink belong to the training run, not to the model: the file holds an HPAClassifier
            with the same parameters and weights, which
            :func:`skhpa.load_model` returns, ready to predict on one device
            (``device=None`` becomes ``"auto"``).

            Returns
            -------
            cls : type
                :class:`HPAClassifier`.
            params : dict
                Its parameters.
            """
            if getattr(self, "initialized_", False) and not self.unwrap_after_train:
                raise TypeError(
                    "AcceleratedHPAClassifier(unwrap_after_train=False) keeps its module in "
                    "DDP's wrapper, which save_model cannot store: train with "
                    "unwrap_after_train=True (the default) to save the model"
                )
            params = self.get_params(deep=False)
            # the mixin's own parameters (the log's sink is the accelerator's print)
            for name in ("accelerator", "unwrap_after_train", "callbacks__print_log__sink"):
                params.pop(name, None)
            if params.get("device") is None:
                params["device"] = "auto"
            return HPAClassifier, params

        def _initialize_accelerator(self):
            # As the mixin's, except that criteria without trainable parameters (BCE,
            # focal, soft-F1) are not prepared: DDP refuses modules without gradients.
            if self._wrapped_with_accelerator:
                return self
            import torch
            from skorch.callbacks import LRScheduler

            acc = self.accelerator
            for kind, names in (
                ("criterion", self._criteria),
                ("module", self._modules),
                ("optimizer", self._optimizers),
            ):
                with self._current_init_context(kind):
                    for name in names:
                        obj = getattr(self, name + "_")
                        if isinstance(obj, torch.nn.Module) and not any(
                            p.requires_grad for p in obj.parameters()
                        ):
                            obj.to(acc.device)
                        elif isinstance(obj, (torch.nn.Module, torch.optim.Optimizer)):
                            setattr(self, name + "_", acc.prepare(obj))
            for _, callback in self.callbacks_:
                if isinstance(callback, LRScheduler):
                    callback.policy_ = acc.prepare(callback.policy_)
            self._wrapped_with_accelerator = True
            return self

        def _to_device(self, x):
            if self.device is None:  # the accelerator placed the batch
                import torch

                x = torch.as_tensor(x) if not torch.is_tensor(x) else x
                return x.to(self.accelerator.device)
            return super()._to_device(x)

        train_step_single = HPAClassifier.train_step_single  # augmentation included

        def _autocast(self):
            return self.accelerator.autocast()

        def _backward(self, loss):
            self.accelerator.backward(loss)

        def get_iterator(self, dataset, training=False):
            """HPAClassifier's DataLoader, sharded across processes for training.

            Overrides :class:`~skorch.hf.AccelerateMixin`'s: the DataLoader is
            :meth:`HPAClassifier.get_iterator`'s; a training one is then
            prepared by the accelerator (each process gets its shard of every
            batch), while a validation or prediction one is not (every process
            sees all data).

            Parameters
            ----------
            dataset : torch.utils.data.Dataset
                The dataset to iterate over.
            training : bool, default=False
                Whether the iterator is for training.

            Returns
            -------
            iterator : torch.utils.data.DataLoader
                The DataLoader; for training, as prepared by the accelerator.
            """
            iterator = HPAClassifier.get_iterator(self, dataset, training=training)
            # shard training batches only; evaluation sees all data on every process
            return self.accelerator.prepare(iterator) if training else iterator

        def evaluation_step(self, batch, training=False):
            """:meth:`HPAClassifier.evaluation_step`, not the accelerate mixin's.

            The mixin's version gathers the outputs of all processes; here
            prediction runs in full on every process, so each process's own
            outputs are returned (under the accelerator's autocast).

            Parameters
            ----------
            batch : torch.Tensor or tuple
                A batch of the prediction iterator: images of shape
                (batch_size, n_channels, height, width), alone or with targets
                (ignored).
            training : bool, default=False
                Run the module in training mode with gradients enabled.

            Returns
            -------
            y_infer : torch.Tensor of shape (batch_size, n_classes)
                The logits, float32.
            """
            return HPAClassifier.evaluation_step(self, batch, training=training)

else:

    class AcceleratedHPAClassifier:  # pragma: no cover - exercised without accelerate
        """Placeholder: install HuggingFace accelerate (``pip install skhpa[accelerate]``)."""

        def __init__(self, *args, **kwargs):
            raise ImportError(
                "AcceleratedHPAClassifier needs HuggingFace accelerate: "
                "pip install 'skhpa[accelerate]'"
            )
