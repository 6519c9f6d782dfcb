"""The hotline: the voice-menu flow executed on ARI calls, writing into the journal."""

from .call import HotlineCall
from .desk import CallCard, DispatcherDesk, StaticDesk

__all__ = ["CallCard", "DispatcherDesk", "HotlineCall", "StaticDesk"]
