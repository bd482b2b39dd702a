"""Home dashboard («Inicio»): the office's key figures at a glance — establishments by level of care and units
without zone, weekend-opening progress against the target, sanitary authorisations current against required
and their alerts — as clickable cards and three charts. Every figure opens the list behind it: the page emits
``open_list(target, filter)`` and the main window shows that page with the filter applied.

The figures are read off the UI thread (``models.services.dashboard``, ~0.2–0.3 s for 3,000 establishments)
each time the page is shown and on «Actualizar» (F5)."""
from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from gui.context import AppContext
from gui.item_models.weekend import percent_text
from gui.pages.dashboard_panels import STYLE, AuthorisationsChart, FigureCard, LevelChart, Link, WeekendChart
from gui.tasks import TaskFailure
from models.services import dashboard as svc
from models.text import format_int


# ---------------------------------------------------------------------------------------------- the page

class DashboardPage(QWidget):
    """Inicio: key figures of the office's state (or the country), each one a door to its list."""

    status_message = Signal(str)
    open_list = Signal(str, object)  # target page key, filter dict
    title = "Inicio"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.national = ctx.office.is_national
        self.state_id: int | None = ctx.office.state.id if ctx.office.state else None
        self.data: svc.DashboardData | None = None
        self.loaded_at: datetime | None = None
        self._generation = 0
        self._announce = False
        self.cards: dict[str, FigureCard] = {}
        self._build()

    def today(self) -> date:
        return self._today or date.today()

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.setStyleSheet(STYLE)
        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Inicio")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addSpacing(12)
        self.subtitle = QLabel(self.ctx.office.label)
        self.subtitle.setObjectName("pageSubtitle")
        header.addWidget(self.subtitle)
        header.addStretch(1)
        self.as_of_label = QLabel("Calculando…")
        self.as_of_label.setObjectName("pageSubtitle")
        header.addWidget(self.as_of_label)
        self.reload_button = QPushButton("&Actualizar")
        self.reload_button.setToolTip("Volver a calcular las cifras (F5)")
        self.reload_button.clicked.connect(lambda: self.reload(announce=True))
        header.addWidget(self.reload_button)
        outer.addLayout(header)
        hint = QLabel("Haga clic en una cifra (o selecciónela con Tab y pulse Intro) para ver la lista que la forma.")
        hint.setObjectName("formHint")
        outer.addWidget(hint)

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        all_states = {"state_id": None} if self.national else {}  # national: the pages show every state
        days = svc.EXPIRING_DAYS
        est = self._section(row, "Establecimientos de salud", [
            ("active", "Activos", Link("establishments", {}),
             "Todos los establecimientos que no están dados de baja"),
            ("without_zone", "Sin zona asignada", Link("regions", {"unassigned": True}),
             "Establecimientos activos que no pertenecen a ninguna zona de servicios médicos"),
            *((f"level_{value}", label, Link("establishments", {"level": value}),
               f"Establecimientos activos de {label.lower()}")
              for value, label in (("PRIMER", "Primer nivel"), ("SEGUNDO", "Segundo nivel"),
                                   ("TERCER", "Tercer nivel"), ("NO_APLICA", "Nivel «no aplica»"))),
        ])
        self.level_chart = LevelChart()
        self.level_chart.level_clicked.connect(lambda level: self._open(Link("establishments", {"level": level})))
        est.addWidget(self.level_chart, 1)
        weekend_all = Link("weekend", dict(all_states))
        weekend = self._section(row, "Apertura en fin de semana", [
            ("progress", "Avance", weekend_all, "Unidades abiertas los 7 días entre la meta vigente"),
            ("target", "Meta de unidades", weekend_all, "Meta vigente de unidades fijas de primer nivel"),
            ("viable", "Viables registradas", weekend_all, "Unidades con registro de apertura marcadas como viables"),
            ("open", "Abiertas los 7 días", weekend_all, "Unidades con turno y médico los 7 días de la semana"),
            ("pending", "Pendientes", Link("weekend", {"pending": True, **all_states}),
             "Unidades viables que aún no abren los 7 días"),
            ("doctors", "Médicos asignados", weekend_all, "Médicos asignados / necesarios para la meta"),
        ])
        self.weekend_chart = WeekendChart()
        self.weekend_chart.clicked.connect(lambda: self._open(weekend_all))
        self.weekend_chart.pending_clicked.connect(lambda: self._open(self.cards["pending"].link))
        weekend.addWidget(self.weekend_chart, 1)
        auth = self._section(row, "Autorizaciones sanitarias", [
            ("current", "Vigentes", Link("authorisations", {"flag": "current", **all_states}),
             "Autorizaciones requeridas que están vigentes hoy"),
            ("in_process", "En trámite", Link("authorisations", {"flag": "in_process", **all_states}),
             "Ingresadas o en trámite ante la autoridad"),
            ("not_started", "Sin iniciar", Link("authorisations", {"alert": "not_started", **all_states}),
             "Autorizaciones requeridas sin trámite iniciado"),
            ("expiring", f"Vencen en {days} días",
             Link("authorisations", {"alert": f"expiring{days}", **all_states}),
             f"Vigentes cuya fecha de vencimiento llega en los próximos {days} días"),
            ("expired", "Vencidas", Link("authorisations", {"alert": "expired", **all_states}),
             "Autorizaciones vencidas (o vigentes con la fecha de vencimiento ya pasada)"),
            ("services", "Servicios", Link("authorisations", {"alert": "services", **all_states}),
             "Servicios sin responsable sanitario vigente"),
        ])
        self.auth_chart = AuthorisationsChart()
        self.auth_chart.segment_clicked.connect(
            lambda code, flag: self._open(Link("authorisations", {"flag": flag, "type": code, **all_states})))
        auth.addWidget(self.auth_chart, 1)

        scroll = QScrollArea()  # small screens scroll instead of squeezing the cards
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.reload_action = QAction("Actualizar", self)
        self.reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.reload_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reload_action.triggered.connect(lambda _c=False: self.reload(announce=True))
        self.addAction(self.reload_action)

    def _section(self, row: QHBoxLayout, title: str, cards: list[tuple[str, str, Link, str]]) -> QVBoxLayout:
        frame = QFrame()
        frame.setObjectName("dashSection")
        v = QVBoxLayout(frame)
        v.setContentsMargins(10, 8, 10, 8)
        v.setSpacing(8)
        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        v.addWidget(heading)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(8)
        for i, (key, caption, link, tip) in enumerate(cards):
            card = FigureCard(caption, link, tip)
            card.activated.connect(lambda c=card: self._open(c.link))
            self.cards[key] = card
            grid.addWidget(card, i // 2, i % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        v.addLayout(grid)
        row.addWidget(frame, 1)
        return v

    def _open(self, link: Link) -> None:
        self.open_list.emit(link.target, dict(link.filter))

    # ---- loading ----------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        """Recalculate each time the page comes back into view (other pages may have changed the data)."""
        super().showEvent(event)
        if not event.spontaneous():
            self.reload()

    def save_settings(self) -> None:
        """Nothing to remember (the main window calls this on every page)."""

    def reload(self, announce: bool = False) -> None:
        """Recalculate every figure off the UI thread."""
        self._generation += 1
        generation = self._generation
        self._announce = self._announce or announce
        state_id, today = self.state_id, self.today()
        self.as_of_label.setText("Calculando…")

        def done(data: svc.DashboardData) -> None:
            if generation == self._generation:
                self._loaded(data)

        self.ctx.run_read(lambda s: svc.dashboard(s, state_id, today), done, self._failed)

    def _loaded(self, data: svc.DashboardData) -> None:
        self.data = data
        self.loaded_at = datetime.now()
        self.as_of_label.setText(f"Cifras al {data.today:%d/%m/%Y}, calculadas a las {self.loaded_at:%H:%M}")
        if self.national:
            self.subtitle.setText(data.scope_label)
        self._fill_establishments(data.establishments)
        self._fill_weekend(data.weekend)
        self._fill_authorisations(data.authorisations)
        if self._announce:
            self._announce = False
            self.status_message.emit("Cifras de Inicio actualizadas.")

    def _fill_establishments(self, e: svc.EstablishmentFigures) -> None:
        zones = f"{format_int(e.zones)} {'zona' if e.zones == 1 else 'zonas'}"
        regions = f"{format_int(e.regions)} {'región' if e.regions == 1 else 'regiones'}"
        self.cards["active"].set_value(format_int(e.active), f"en {regions} y {zones}")
        share = f"{e.without_zone * 100 / e.active:.1f} % de los activos" if e.active else ""
        self.cards["without_zone"].set_value(format_int(e.without_zone), share, "warn" if e.without_zone else "")
        for f in e.levels:
            idle = f.count - f.status_count("EN_OPERACION")
            detail = f"{format_int(idle)} sin operar" if idle else "todos en operación"
            self.cards[f"level_{f.level}"].set_value(format_int(f.count), detail if f.count else "")
        self.level_chart.set_levels(e.levels)

    def _fill_weekend(self, w: svc.WeekendFigures) -> None:
        target = format_int(w.target) if w.target is not None else "—"
        self.cards["progress"].set_value(percent_text(w.progress), f"{format_int(w.open_units)} de {target} unidades")
        self.cards["target"].set_value(target, "entidades adheridas" if self.national else w.label)
        self.cards["viable"].set_value(format_int(w.viable), f"de {format_int(w.eligible)} fijas"
                                       + (f"; {format_int(w.unregistered)} sin registro" if w.unregistered else ""))
        self.cards["open"].set_value(format_int(w.open_units), "con turno y médico diario")
        self.cards["pending"].set_value(format_int(w.pending), "viables que aún no abren",
                                        "warn" if w.pending else "")
        needed = format_int(w.doctors_needed) if w.doctors_needed is not None else "—"
        self.cards["doctors"].set_value(format_int(w.doctors_assigned), f"de {needed} necesarios")
        self.weekend_chart.set_figures(w)

    def _fill_authorisations(self, a: svc.AuthorisationFigures) -> None:
        self.cards["current"].set_value(format_int(a.current), f"de {format_int(a.required)} requeridas")
        self.cards["in_process"].set_value(format_int(a.in_process), "ante la autoridad")
        self.cards["not_started"].set_value(format_int(a.not_started), "requeridas sin trámite",
                                            "warn" if a.not_started else "")
        self.cards["expiring"].set_value(format_int(a.expiring), "vigentes por vencer", "warn" if a.expiring else "")
        self.cards["expired"].set_value(format_int(a.expired), "hay que renovarlas", "alert" if a.expired else "")
        self.cards["services"].set_value(format_int(a.services_without_responsable), "sin responsable sanitario",
                                         "warn" if a.services_without_responsable else "")
        self.auth_chart.set_figures(a)

    def card_texts(self) -> dict[str, str]:
        """Each card's number as shown (key → text), for tests and the status bar."""
        return {key: card.number.text() for key, card in self.cards.items()}

    def _failed(self, failure: TaskFailure) -> None:
        self.as_of_label.setText("No se pudieron calcular las cifras.")
        from gui.dialogs.error_dialog import show_failure

        show_failure(self, failure)
