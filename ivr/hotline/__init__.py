"""The hotline: the voice-menu flow executed on ARI calls, writing into the journal."""

from .desk import CallCard, DispatcherDesk, NoChanges, StaticDesk, TicketChanges
from .executor_line import ExecutorLine
from .line import HotlineCall
from .rating_line import RatingLine
from .router import LineRouter

__all__ = ["CallCard", "DispatcherDesk", "ExecutorLine", "HotlineCall", "LineRouter", "RatingLine", "StaticDesk",
           "NoChanges", "TicketChanges"]
