"""Text for messages and reports."""


def list_some(names, most=6):
    """``"a, b, c"``, or past ``most`` names ``"a, b, ... and 3 more"``.

    Examples
    --------
    >>> from skhpa.utils import list_some
    >>> list_some(["a", "b", "c"], most=2)
    'a, b and 1 more'
    """
    names = [str(n) for n in names]
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def plural(count, noun, nouns=None):
    """``"1 image"``, ``"2 images"``: a count and its noun, in the number it takes.

    Examples
    --------
    >>> from skhpa.utils import plural
    >>> plural(1, "training image"), plural(12, "test image")
    ('1 training image', '12 test images')
    """
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
