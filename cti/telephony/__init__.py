"""The telephony side as the console and the journal see it: the desk the voice menu asks who
may take a call and tells what pops on whose screen, executors' calls, "call back", the voice
menu's editable prompts and the mass outages the line announces. Adapters only: they translate
telephony events into journal reads and console messages."""

from cti.telephony.callback import AmiCallback
from cti.telephony.desk import ConsoleDesk
from cti.telephony.executors import ExecutorCalls
from cti.telephony.tickets import ConsoleTicketEvents, optional_text, registered_message, ticket_card

__all__ = ["AmiCallback", "ConsoleDesk", "ConsoleTicketEvents", "ExecutorCalls", "optional_text", "registered_message",
           "ticket_card"]
