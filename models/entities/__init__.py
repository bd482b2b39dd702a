"""ORM entities for the whole mission. Importing this package registers every table on ``Base.metadata``."""
from models.entities.catalog import AppMeta, Institution, PublishedRegionFigures, State, Typology, WeekendBlock, WeekendTarget
from models.entities.establishment import Establishment
from models.entities.regions import Region, SupervisionAssignment, SupervisionTeam, SupervisionTeamMember, Zone
from models.entities.weekend import WeekendInterruption, WeekendRecord, WeekendShift, WeekendStaff
from models.entities.authorisations import (
    Authorisation,
    AuthorisationDocument,
    AuthorisationEvent,
    AuthorisationType,
    Authority,
    EstablishmentService,
    ResponsableSanitario,
    ServiceType,
)
from models.entities.users import AuditEntry, User
from models.entities.exchange import ExchangeConflict, ExchangePackage, ExchangeSync

__all__ = [
    "AppMeta", "Institution", "PublishedRegionFigures", "State", "Typology", "WeekendBlock", "WeekendTarget",
    "Establishment", "Region", "SupervisionAssignment", "SupervisionTeam", "SupervisionTeamMember", "Zone",
    "WeekendInterruption", "WeekendRecord", "WeekendShift", "WeekendStaff",
    "Authorisation", "AuthorisationDocument", "AuthorisationEvent", "AuthorisationType", "Authority",
    "EstablishmentService", "ResponsableSanitario", "ServiceType", "AuditEntry", "User",
    "ExchangeConflict", "ExchangePackage", "ExchangeSync",
]
