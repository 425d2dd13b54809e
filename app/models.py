"""Every model, imported once so SQLAlchemy (and Alembic) know the whole schema."""
from app.auth.models import ApiToken, Operator, OperatorSession, SignInFailure  # noqa: F401
from app.booking.models import BookingConflict, Reservation  # noqa: F401
from app.catalog.models import Hotel, InventoryNight, Rate, Room, RoomType  # noqa: F401
from app.core.audit import AuditEvent  # noqa: F401
from app.core.idempotency import IdempotencyKey  # noqa: F401
from app.notifications.models import OutboxMessage  # noqa: F401
from app.payments.models import Payment  # noqa: F401
from app.refunds.models import Compensation, Coupon, Refund  # noqa: F401
from app.remittance.models import FundEntry, OperatingFund, Payout, PayoutAttempt  # noqa: F401
from app.ops.health import Heartbeat  # noqa: F401
from app.deposits.models import BankStatement, CsvMapping, StatementLine  # noqa: F401
from app.adjust.models import ReservationNote, RoomAssignment, RoomFeature  # noqa: F401
from app.ledger.models import LedgerEntry  # noqa: F401
from app.reconcile.models import ReconciliationItem, ReconciliationRun, SettlementFile  # noqa: F401
from app.approvals.models import ApprovalRequest  # noqa: F401
from app.auditlog.models import AuditCheckpoint  # noqa: F401
from app.ops.models import HandoverNote  # noqa: F401
from app.alerts.models import Alert, AlertSilence, OnCallEntry  # noqa: F401
from app.reports.models import ReportRun  # noqa: F401
from app.observability.models import JobRun, RequestMetric  # noqa: F401
from app.support.models import Ticket, TicketMessage, TicketPause  # noqa: F401
from app.status.models import StatusNotice, StatusSubscriber, StatusUpdate  # noqa: F401
from app.emergency.models import EmergencyContact  # noqa: F401
