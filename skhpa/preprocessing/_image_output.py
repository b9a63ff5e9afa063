"""``set_output`` for transformers whose output is images, which no DataFrame can hold."""

_CONTAINERS = (None, "default", "pandas", "polars")


class ImageOutputMixin:
    """Accept scikit-learn's ``set_output`` and keep returning image arrays.

    ``Pipeline.set_output(transform="pandas")`` configures every step and fails on a
    step without ``set_output``. A step that outputs images (n, C, H, W) cannot give a
    DataFrame, so it takes the configuration and returns arrays; the table-producing
    steps after it (e.g. :class:`~skhpa.preprocessing.LocalizationFeatures`) follow it.
    Classes that also define ``get_feature_names_out`` must switch off scikit-learn's
    automatic output wrapping (``auto_wrap_output_keys=None``).
    """

    def set_output(self, *, transform=None):
        """Accept an output configuration; images stay NumPy arrays (or a lazy array).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            The container the Pipeline asks for; it does not change what this
            transformer returns.

        Returns
        -------
        self : estimator
        """
        if transform not in _CONTAINERS:
            raise ValueError(
                f"transform must be one of 'default', 'pandas', 'polars' or None, got {transform!r}"
            )
        return self
