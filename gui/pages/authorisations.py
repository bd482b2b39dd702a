"""Sanitary-authorisations page: the state's compliance table in the published shape for a period (drill-down to
the establishments behind each number), the alert lists, and one establishment's requirements, procedures (with
their history) and services (with their responsables sanitarios)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QDate, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QScrollArea,
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.dialogs.authorisation_dialogs import (
    ChangeStatusDialog,
    NewProcedureDialog,
    OverrideDialog,
    ResponsableDialog,
    ServiceDialog,
)
from gui.item_models.authorisations import COMPLIANCE_FLAGS, Col, ComplianceTableModel, RowsModel, dmy, status_label
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.entities import AuthorisationType, Authority, ServiceType
from models.services import authorisations as svc
from models.services import documents
from models.services import establishments as est_svc
from models.services import office as office_svc
from models.text import fold, format_int

TAB = Setting("autorizaciones/pestana", 0, int)
ALERT_TAB = Setting("autorizaciones/pestana_alertas", 0, int)
STATE = Setting("autorizaciones/entidad", 0, int)  # national office: 0 = all states
SPLITTER = Setting("autorizaciones/divisor", QByteArray(), QByteArray)
DETAIL_SPLITTER = Setting("autorizaciones/divisor_detalle", QByteArray(), QByteArray)
SEARCH = Setting("autorizaciones/busqueda", "", str)
ALL_STATES = 0
PERIOD_DELAY_MS = 300
PICK_LIMIT = 200


@dataclass
class Snapshot:
    """The compliance table, its items, the alerts and the catalogues, for one scope and period (worker thread)."""

    state_id: int | None
    period_from: date
    period_to: date
    today: date
    summary: list[svc.SummaryRow]
    items: list[svc.ComplianceItem]
    alerts: svc.Alerts
    establishments: list[tuple[int, str, str]]  # id, CLUES, name (active, of the scope)
    types: list[tuple[str, str]]
    authorities: list[tuple[str, str]]
    service_types: list[tuple[str, str]]
    states: list[office_svc.StateInfo] = field(default_factory=list)


@dataclass
class Detail:
    """One establishment's requirements, procedures with history, and services (worker thread)."""

    establishment_id: int
    requirements: list[svc.Requirement]
    procedures: list[svc.AuthorisationData]
    histories: dict[int, list[svc.EventData]]
    services: list[svc.ServiceData]


def load_snapshot(session: Session, state_id: int | None, period_from: date, period_to: date, today: date,
                  national: bool) -> Snapshot:
    items = svc.compliance_items(session, state_id, today, period_from, period_to)
    summary = svc.summary(session, state_id, today, period_from, period_to)
    alerts = svc.alerts(session, state_id, today)
    table = est_svc.load_table(session, state_id)
    ests = sorted(((i, c, n) for i, c, n, r in zip(table.ids, table.clues, table.names, table.retired) if not r),
                  key=lambda e: e[1])
    types = [(t.code, t.name) for t in session.scalars(select(AuthorisationType).where(
        AuthorisationType.deleted_at.is_(None)).order_by(AuthorisationType.id))]
    authorities = [(a.code, a.name) for a in session.scalars(select(Authority).order_by(Authority.code))]
    service_types = [(t.code, t.name) for t in session.scalars(select(ServiceType).order_by(ServiceType.id))]
    states = office_svc.list_states(session) if national else []
    return Snapshot(state_id, period_from, period_to, today, summary, items, alerts, ests, types, authorities,
                    service_types, states)


def load_detail(session: Session, establishment_id: int, today: date) -> Detail:
    procedures = svc.list_authorisations(session, establishment_id)
    return Detail(establishment_id, svc.requirements(session, establishment_id), procedures,
                  {p.id: svc.history(session, p.id) for p in procedures},
                  svc.list_services(session, establishment_id, today))


def _days(value: int | None) -> str:
    return "" if value is None else format_int(value)


def _table(model, stretch: int | None = None) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return view


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class AuthorisationsPage(QWidget):
    """Autorizaciones sanitarias: compliance of the state, what expires, and each establishment's procedures."""

    status_message = Signal(str)
    title = "Autorizaciones"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.national = ctx.office.is_national
        self.state_id: int | None = ctx.office.state.id if ctx.office.state else None
        if self.national:
            self.state_id = ctx.settings.get(STATE) or None
        self.snapshot: Snapshot | None = None
        self.detail: Detail | None = None
        self.establishment_id: int | None = None
        self.dialog = None
        self.message_box: QMessageBox | None = None
        self._generation = 0
        self._detail_generation = 0
        self._pending_filter: dict | None = None  # a drill-down asked for before the figures arrived
        self._build()
        self._restore_settings()

    def today(self) -> date:
        return self._today or date.today()

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Autorizaciones sanitarias")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addStretch(1)
        if not self.national:
            subtitle = QLabel(self.ctx.office.label)
            subtitle.setObjectName("pageSubtitle")
            header.addWidget(subtitle)
            header.addSpacing(16)
        layout.addLayout(header)
        header = QHBoxLayout()  # second row: scope and period (one row would not fit 1,024 px screens)
        self.state_combo = QComboBox()
        self.state_combo.setMinimumContentsLength(20)
        self.state_combo.addItem("Todas las entidades", ALL_STATES)
        if self.national:
            header.addWidget(self._buddy("&Entidad:", self.state_combo))
            header.addWidget(self.state_combo)
            header.addSpacing(12)
        else:
            self.state_combo.hide()
        today = self.today()
        self.from_edit = self._date_edit(date(today.year, 1, 1), "Inicio del periodo (obtenidas en el periodo)")
        self.to_edit = self._date_edit(today, "Fin del periodo (obtenidas en el periodo)")
        header.addWidget(self._buddy("Periodo del &", self.from_edit))
        header.addWidget(self.from_edit)
        header.addWidget(self._buddy("&al", self.to_edit))
        header.addWidget(self.to_edit)
        self.reload_button = QPushButton("&Actualizar")
        self.reload_button.setToolTip("Volver a calcular la tabla y las alertas (F5)")
        self.reload_button.clicked.connect(self.reload)
        self.import_button = QPushButton("&Importar…")
        self.import_button.setToolTip("Cargar licencias, avisos y permisos desde una hoja de cálculo (todo o nada)")
        self.import_button.clicked.connect(self.open_import_wizard)
        header.addWidget(self.import_button)
        header.addWidget(self.reload_button)
        header.addStretch(1)
        layout.addLayout(header)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_compliance(), "&Cumplimiento y alertas")
        detail = QScrollArea()  # on a small screen the establishment panel scrolls instead of growing the window
        detail.setWidgetResizable(True)
        detail.setFrameShape(QFrame.Shape.NoFrame)
        detail.setWidget(self._build_establishment())
        self.tabs.addTab(detail, "&Por establecimiento")
        layout.addWidget(self.tabs, 1)

        self.reload_action = QAction("Actualizar", self)
        self.reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.reload_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reload_action.triggered.connect(lambda _c=False: self.reload())
        self.addAction(self.reload_action)

        self._period_timer = QTimer(self)
        self._period_timer.setSingleShot(True)
        self._period_timer.setInterval(PERIOD_DELAY_MS)
        self._period_timer.timeout.connect(self.reload)
        self.from_edit.dateChanged.connect(lambda _d: self._period_timer.start())
        self.to_edit.dateChanged.connect(lambda _d: self._period_timer.start())
        self.state_combo.currentIndexChanged.connect(self._state_chosen)
        self._update_actions()

    def _build_compliance(self) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        self.compliance_model = ComplianceTableModel(self)
        self.compliance_view = _table(self.compliance_model, 1)
        self.compliance_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.compliance_view.doubleClicked.connect(lambda index: self.drill_down(index.row(), index.column()))
        self.formula_label = QLabel("Estatus % = obtenidas en el periodo ÷ requeridas × 100; el total se calcula "
                                    "con las cifras sumadas. Doble clic en una cifra: los establecimientos detrás.")
        self.formula_label.setWordWrap(True)
        self.formula_label.setObjectName("formHint")

        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        self.table_heading = _heading("Tabla de cumplimiento")
        tv.addWidget(self.table_heading)
        tv.addWidget(self.compliance_view, 1)
        tv.addWidget(self.formula_label)

        drill = QWidget()
        dv = QVBoxLayout(drill)
        dv.setContentsMargins(0, 0, 0, 0)
        self.drill_label = _heading("Detalle: haga doble clic en una cifra de la tabla")
        self.drill_model = RowsModel(self._item_columns(), self)
        self.drill_view = _table(self.drill_model, 2)
        self.drill_view.doubleClicked.connect(lambda i: self._open_from(self.drill_model, i.row()))
        dv.addWidget(self.drill_label)
        dv.addWidget(self.drill_view, 1)

        alerts = QWidget()
        av = QVBoxLayout(alerts)
        av.setContentsMargins(0, 0, 0, 0)
        av.addWidget(_heading("Alertas (doble clic: abrir el establecimiento)"))
        self.alert_tabs = QTabWidget()
        self.alert_models: dict[str, RowsModel] = {}
        self.alert_views: dict[str, QTableView] = {}
        expiring_cols = [Col("CLUES", lambda a: a.clues), Col("Establecimiento", lambda a: a.establishment_name),
                         Col("Autorización", lambda a: a.what), Col("Estado", lambda a: status_label(a.status)),
                         Col("Vence", lambda a: dmy(a.expires_on)), Col("Días", lambda a: _days(a.days_left), True)]
        plain_cols = [Col("CLUES", lambda a: a.clues), Col("Establecimiento", lambda a: a.establishment_name),
                      Col("Autorización", lambda a: a.what), Col("Estado", lambda a: status_label(a.status)),
                      Col("Venció", lambda a: dmy(a.expires_on))]
        service_cols = [Col("CLUES", lambda a: a.clues), Col("Establecimiento", lambda a: a.establishment_name),
                        Col("Servicio", lambda a: a.what)]
        for key, cols in (("30", expiring_cols), ("60", expiring_cols), ("90", expiring_cols),
                          ("expired", plain_cols), ("not_started", plain_cols[:4]), ("services", service_cols)):
            model = RowsModel(cols, self)
            view = _table(model, 1)
            view.doubleClicked.connect(lambda i, m=model: self._open_from(m, i.row()))
            self.alert_models[key], self.alert_views[key] = model, view
            self.alert_tabs.addTab(view, "")
        self._alert_titles({})
        av.addWidget(self.alert_tabs, 1)

        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_splitter.setChildrenCollapsible(False)
        self.bottom_splitter.addWidget(drill)
        self.bottom_splitter.addWidget(alerts)
        self.bottom_splitter.setSizes([720, 740])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.bottom_splitter)
        self.splitter.setSizes([300, 420])
        v.addWidget(self.splitter)
        return box

    @staticmethod
    def _item_columns() -> list[Col]:
        return [Col("CLUES", lambda i: i.clues), Col("Autorización", lambda i: i.type_code),
                Col("Establecimiento", lambda i: i.establishment_name), Col("Estado", lambda i: status_label(i.status)),
                Col("Folio", lambda i: i.folio), Col("Otorgada", lambda i: dmy(i.granted_on)),
                Col("Vence", lambda i: dmy(i.expires_on))]

    def _build_establishment(self) -> QWidget:
        box = QWidget()
        h = QHBoxLayout(box)
        split = QSplitter(Qt.Orientation.Horizontal)  # the user can trade list width for detail width
        split.setChildrenCollapsible(False)
        h.addWidget(split)
        pick = QWidget()
        pv = QVBoxLayout(pick)
        pv.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar por CLUES o nombre…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._fill_picker())
        self.picker = QListWidget()
        self.picker.currentItemChanged.connect(self._picked)
        pv.addWidget(_heading("Establecimiento"))
        pv.addWidget(self.search)
        pv.addWidget(self.picker, 1)
        pick.setMinimumWidth(200)
        pick.setMaximumWidth(420)
        split.addWidget(pick)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.detail_label = _heading("Seleccione un establecimiento")
        rv.addWidget(self.detail_label)

        self.requirements_model = RowsModel([
            Col("Autorización", lambda r: r.type_name),
            Col("¿Requerida?", lambda r: "Sí" if r.required else "No"),
            Col("Por regla", lambda r: r.default_reason or "No requerida por regla"),
            Col("Excepción", lambda r: {None: "", True: "Sí, requerida", False: "No requerida"}[r.override]),
            Col("Motivo de la excepción", lambda r: r.override_reason)], self)
        self.requirements_view = _table(self.requirements_model, 4)
        self.requirements_view.doubleClicked.connect(lambda _i: self.edit_override())
        self.requirements_view.selectionModel().currentRowChanged.connect(lambda *_a: self._update_actions())
        self.override_button = QPushButton("E&xcepción…")
        self.override_button.setToolTip("Indicar que la autorización seleccionada sí o no es requerida, con motivo")
        self.override_button.clicked.connect(self.edit_override)
        self.new_procedure_button = QPushButton("&Nuevo trámite…")
        self.new_procedure_button.clicked.connect(self.new_procedure)
        req_box = self._group("Requisitos", self.requirements_view, [self.override_button, self.new_procedure_button])

        self.procedures_model = RowsModel([
            Col("Autorización", lambda p: p.type_code), Col("Estado", lambda p: status_label(p.status)),
            Col("Autoridad", lambda p: p.authority_code or ""), Col("Servicio", self._service_of),
            Col("Folio", lambda p: p.folio), Col("Ingreso", lambda p: dmy(p.submitted_on)),
            Col("Otorgada", lambda p: dmy(p.granted_on)), Col("Vence", lambda p: dmy(p.expires_on))], self)
        self.procedures_view = _table(self.procedures_model)
        self.procedures_view.selectionModel().currentRowChanged.connect(lambda *_a: self._show_history())
        self.procedures_view.doubleClicked.connect(lambda _i: self.change_status())
        self.change_status_button = QPushButton("Cambiar &estado…")
        self.change_status_button.clicked.connect(self.change_status)
        self.history_model = RowsModel([
            Col("Fecha", lambda e: dmy(e.occurred_on)),
            Col("De", lambda e: status_label(e.from_status) if e.from_status else "(alta)"),
            Col("A", lambda e: status_label(e.to_status)), Col("Usuario", lambda e: e.user),
            Col("Comentario", lambda e: e.comment)], self)
        self.history_view = _table(self.history_model, 4)
        self.documents_model = RowsModel([
            Col("Documento", lambda d: d[0].original_name), Col("Agregado", lambda d: dmy(d[0].added_at.date())),
            Col("Por", lambda d: d[0].added_by), Col("Archivo", lambda d: d[1].message if not d[1].ok else "Íntegro")],
            self, alert=lambda d: not d[1].ok)
        self.documents_view = _table(self.documents_model, 0)
        self.documents_view.doubleClicked.connect(lambda _i: self.open_document())
        self.attach_button = QPushButton("Ad&juntar…")
        self.attach_button.setToolTip("Adjuntar el escaneo del trámite (PDF, JPG o PNG); se copia a la carpeta de datos")
        self.attach_button.clicked.connect(self.choose_document)
        self.open_document_button = QPushButton("A&brir")
        self.open_document_button.clicked.connect(self.open_document)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self._group("Historial del trámite", self.history_view, []))
        side.addWidget(self._group("Documentos del trámite", self.documents_view,
                                   [self.attach_button, self.open_document_button]))
        proc_split = QSplitter(Qt.Orientation.Horizontal)
        proc_split.addWidget(self._group("Trámites", self.procedures_view, [self.change_status_button]))
        proc_split.addWidget(side)
        proc_split.setSizes([620, 420])

        self.services_model = RowsModel([
            Col("Servicio", lambda s: f"{s.service_name} ({s.service_code})"),
            Col("Responsable sanitario", lambda s: s.current_responsable.full_name if s.current_responsable
                else "Sin responsable"),
            Col("Cédula", lambda s: s.current_responsable.cedula_profesional if s.current_responsable else ""),
            Col("Notas", lambda s: s.notes)], self, alert=lambda s: s.lacks_responsable)
        self.services_view = _table(self.services_model, 3)
        self.services_view.selectionModel().currentRowChanged.connect(lambda *_a: self._show_responsables())
        self.add_service_button = QPushButton("Agregar &servicio…")
        self.add_service_button.clicked.connect(self.add_service)
        self.add_responsable_button = QPushButton("Agregar &responsable…")
        self.add_responsable_button.clicked.connect(self.add_responsable)
        self.responsables_model = RowsModel([
            Col("Nombre", lambda r: r.full_name), Col("Profesión", lambda r: r.profession),
            Col("Cédula profesional", lambda r: r.cedula_profesional), Col("Desde", lambda r: dmy(r.valid_from)),
            Col("Hasta", lambda r: dmy(r.valid_to))], self)
        self.responsables_view = _table(self.responsables_model)
        svc_split = QSplitter(Qt.Orientation.Horizontal)
        svc_split.addWidget(self._group("Servicios", self.services_view,
                                        [self.add_service_button, self.add_responsable_button]))
        svc_split.addWidget(self._group("Responsables sanitarios del servicio", self.responsables_view, []))
        svc_split.setSizes([540, 500])

        self.detail_splitter = QSplitter(Qt.Orientation.Vertical)
        self.detail_splitter.setChildrenCollapsible(False)
        for w in (req_box, proc_split, svc_split):
            self.detail_splitter.addWidget(w)
        self.detail_splitter.setSizes([330, 220, 220])
        rv.addWidget(self.detail_splitter, 1)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 700])
        return box

    @staticmethod
    def _group(title: str, view: QWidget, buttons: list[QPushButton]) -> QGroupBox:
        group = QGroupBox(title)
        v = QVBoxLayout(group)
        v.addWidget(view, 1)
        if buttons:
            row = QHBoxLayout()
            for b in buttons:
                row.addWidget(b)
            row.addStretch(1)
            v.addLayout(row)
        return group

    def _date_edit(self, value: date, tip: str) -> QDateEdit:
        edit = QDateEdit(QDate(value.year, value.month, value.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setToolTip(tip)
        return edit

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._generation == 0:
            self.reload()

    # ---- settings ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        st = self.ctx.settings
        for splitter, setting in ((self.splitter, SPLITTER), (self.detail_splitter, DETAIL_SPLITTER)):
            state = st.get(setting)
            if not state.isEmpty():
                splitter.restoreState(state)
        self.tabs.setCurrentIndex(min(max(st.get(TAB), 0), self.tabs.count() - 1))
        self.alert_tabs.setCurrentIndex(min(max(st.get(ALERT_TAB), 0), self.alert_tabs.count() - 1))
        self.search.setText(st.get(SEARCH))

    def save_settings(self) -> None:
        st = self.ctx.settings
        st.set(SPLITTER, self.splitter.saveState())
        st.set(DETAIL_SPLITTER, self.detail_splitter.saveState())
        st.set(TAB, self.tabs.currentIndex())
        st.set(ALERT_TAB, self.alert_tabs.currentIndex())
        st.set(SEARCH, self.search.text())
        if self.national:
            st.set(STATE, self.state_id or ALL_STATES)

    # ---- loading ----------------------------------------------------------------------------------------
    @staticmethod
    def _qdate(edit: QDateEdit) -> date:
        qd = edit.date()
        return date(qd.year(), qd.month(), qd.day())

    def period(self) -> tuple[date, date]:
        return self._qdate(self.from_edit), self._qdate(self.to_edit)

    def set_period(self, period_from: date, period_to: date) -> None:
        """Change the period and recalculate at once."""
        for edit, value in ((self.from_edit, period_from), (self.to_edit, period_to)):
            edit.blockSignals(True)
            edit.setDate(QDate(value.year, value.month, value.day))
            edit.blockSignals(False)
        self.reload()

    def set_state(self, state_id: int | None) -> None:
        """National office: show one state (None: all) and recalculate."""
        self.state_id = state_id
        index = self.state_combo.findData(state_id or ALL_STATES)
        if index >= 0:
            self.state_combo.blockSignals(True)
            self.state_combo.setCurrentIndex(index)
            self.state_combo.blockSignals(False)
        self.reload()

    def _state_chosen(self, _index: int) -> None:
        value = self.state_combo.currentData()
        if value is None:
            return
        self.state_id = value or None
        self.reload()

    def reload(self) -> None:
        """Recalculate the table, the alerts and the open establishment (off the UI thread)."""
        self._period_timer.stop()
        self._generation += 1
        generation = self._generation
        (period_from, period_to), state_id, today, national = self.period(), self.state_id, self.today(), self.national
        self.table_heading.setText("Tabla de cumplimiento — calculando…")

        def done(snapshot: Snapshot) -> None:
            if generation == self._generation:
                self._loaded(snapshot)

        self.ctx.run_read(lambda s: load_snapshot(s, state_id, period_from, period_to, today, national), done,
                          self._failed, label="Calculando el cumplimiento de autorizaciones sanitarias…", parent=self)
        if self.establishment_id is not None:
            self.load_establishment(self.establishment_id)

    def _loaded(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.national and snapshot.states and self.state_combo.count() == 1:
            self.state_combo.blockSignals(True)
            for s in snapshot.states:
                self.state_combo.addItem(s.name, s.id)
            self.state_combo.setCurrentIndex(max(self.state_combo.findData(self.state_id or ALL_STATES), 0))
            self.state_combo.blockSignals(False)
        self.compliance_model.set_rows(snapshot.summary)
        scope = self.state_combo.currentText() if self.national else self.ctx.office.label
        self.table_heading.setText(f"Tabla de cumplimiento — {scope}, obtenidas del {dmy(snapshot.period_from)} "
                                   f"al {dmy(snapshot.period_to)} (vigencia al {dmy(snapshot.today)})")
        a = snapshot.alerts
        lists = {"30": a.expiring.get(30, []), "60": a.expiring.get(60, []), "90": a.expiring.get(90, []),
                 "expired": a.expired, "not_started": a.not_started, "services": a.services_without_responsable}
        for key, rows in lists.items():
            self.alert_models[key].set_rows(rows)
        self._alert_titles({k: len(v) for k, v in lists.items()})
        self.drill_model.set_rows([])
        self.drill_label.setText("Detalle: haga doble clic en una cifra de la tabla")
        self._fill_picker()
        self._apply_pending_filter()

    def _alert_titles(self, counts: dict[str, int]) -> None:
        titles = {"30": "Vencen en 30 días", "60": "60 días", "90": "90 días", "expired": "Vencidas",
                  "not_started": "Sin iniciar", "services": "Servicios sin responsable"}
        for i, key in enumerate(titles):
            self.alert_tabs.setTabText(i, f"{titles[key]} ({format_int(counts.get(key, 0))})")

    def alert_rows(self, key: str) -> list[dict[str, str]]:
        """An alert list as shown: ``30``, ``60``, ``90``, ``expired``, ``not_started``, ``services``."""
        return self.alert_models[key].texts()

    def compliance_row(self, type_code: str) -> dict[str, str] | None:
        """A row of the compliance table as shown (header → text); "" is the total row."""
        for i, r in enumerate(self.compliance_model.rows):
            if r.type_code == type_code:
                return self.compliance_model.texts()[i]
        return None

    def show_filtered(self, filter: dict) -> None:
        """The home dashboard's figures, recalculated: ``{"alert": "expiring30" | "expired" | "not_started" |
        "services"}`` shows that alert list; ``{"flag": "current" | "in_process" | "not_started" | "required"}``
        shows the establishments behind that figure of the table's total row (of one type with ``"type"``);
        ``"state_id"`` (national office) picks the state shown (None: all)."""
        self.tabs.setCurrentIndex(0)
        alert = filter.get("alert")
        if alert:
            key = alert.removeprefix("expiring") if alert.startswith("expiring") else alert
            if key in self.alert_views:
                self.alert_tabs.setCurrentWidget(self.alert_views[key])
        flag = filter.get("flag")
        self._pending_filter = dict(filter) if flag and flag in COMPLIANCE_FLAGS else None
        if self.national and "state_id" in filter:
            self.set_state(filter["state_id"])
        else:
            self.reload()

    def _apply_pending_filter(self) -> None:
        wanted, self._pending_filter = self._pending_filter, None
        if not wanted:
            return
        code = wanted.get("type", "")
        row = next((i for i, r in enumerate(self.compliance_model.rows) if r.type_code == code), None)
        if row is not None:
            self.drill_down(row, COMPLIANCE_FLAGS.index(wanted["flag"]))

    # ---- drill-down -------------------------------------------------------------------------------------
    def drill_down(self, row: int, column: int) -> list[svc.ComplianceItem]:
        """The establishments behind one number of the table (row, column), shown below it."""
        if self.snapshot is None or not 0 <= row < len(self.compliance_model.rows):
            return []
        flag = COMPLIANCE_FLAGS[column] if 0 <= column < len(COMPLIANCE_FLAGS) else None
        summary_row = self.compliance_model.rows[row]
        flag = flag or "required"
        items = [i for i in self.snapshot.items
                 if (summary_row.is_total or i.type_code == summary_row.type_code)
                 and (flag == "required" or getattr(i, flag))]
        self.drill_model.set_rows(items)
        header = ComplianceTableModel.headers[COMPLIANCE_FLAGS.index(flag)]
        self.drill_label.setText(f"{header} — {summary_row.label}: {format_int(len(items))} "
                                 f"{'trámite' if len(items) == 1 else 'trámites'} (doble clic: abrir el establecimiento)")
        return items

    def _open_from(self, model: RowsModel, row: int) -> None:
        obj = model.row_object(row)
        if obj is not None:
            self.open_establishment(obj.establishment_id)

    # ---- establishment panel ----------------------------------------------------------------------------
    def _fill_picker(self) -> None:
        words = fold(self.search.text()).split()
        ests = self.snapshot.establishments if self.snapshot else []
        current = self.establishment_id
        self.picker.blockSignals(True)
        self.picker.clear()
        shown = 0
        for est_id, clues, name in ests:
            hay = fold(f"{clues} {name}")
            if all(w in hay for w in words):
                item = QListWidgetItem(f"{clues}  {name}")
                item.setData(Qt.ItemDataRole.UserRole, est_id)
                self.picker.addItem(item)
                if est_id == current:
                    self.picker.setCurrentItem(item)
                shown += 1
                if shown >= PICK_LIMIT:
                    break
        self.picker.blockSignals(False)

    def picker_ids(self) -> list[int]:
        return [self.picker.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.picker.count())]

    def _picked(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.open_establishment(item.data(Qt.ItemDataRole.UserRole), switch=False)

    def _establishment_label(self, establishment_id: int | None = None) -> str:
        establishment_id = establishment_id or self.establishment_id
        ests = self.snapshot.establishments if self.snapshot else []
        return next((f"{c} — {n}" for i, c, n in ests if i == establishment_id), "")

    def open_establishment(self, establishment_id: int, switch: bool = True) -> None:
        """Show an establishment's requirements, procedures and services (switching to its tab)."""
        self.establishment_id = establishment_id
        if switch:
            self.tabs.setCurrentIndex(1)
            for i in range(self.picker.count()):
                if self.picker.item(i).data(Qt.ItemDataRole.UserRole) == establishment_id:
                    self.picker.blockSignals(True)
                    self.picker.setCurrentRow(i)
                    self.picker.blockSignals(False)
        self.load_establishment(establishment_id)

    def load_establishment(self, establishment_id: int) -> None:
        self._detail_generation += 1
        generation, today = self._detail_generation, self.today()

        def done(detail: Detail) -> None:
            if generation == self._detail_generation:
                self._detail_loaded(detail)

        self.ctx.run_read(lambda s: load_detail(s, establishment_id, today), done, self._failed)

    def _detail_loaded(self, detail: Detail) -> None:
        keep_req = self.current_requirement()
        keep_proc = self._current(self.procedures_view, self.procedures_model)
        keep_svc = self._current(self.services_view, self.services_model)
        self.detail = detail
        self.detail_label.setText(self._establishment_label(detail.establishment_id) or "Establecimiento")
        self.requirements_model.set_rows(detail.requirements)
        self.procedures_model.set_rows(detail.procedures)
        self.services_model.set_rows(detail.services)
        codes = [r.type_code for r in detail.requirements]
        if codes:
            self.requirements_view.selectRow(codes.index(keep_req.type_code) if keep_req and
                                             keep_req.type_code in codes else 0)
        self._reselect(self.procedures_view, self.procedures_model, keep_proc)
        self._reselect(self.services_view, self.services_model, keep_svc)
        self._show_history()
        self._show_responsables()
        self._update_actions()

    @staticmethod
    def _current(view: QTableView, model: RowsModel):
        obj = model.row_object(view.currentIndex().row())
        return obj.id if obj is not None else None

    @staticmethod
    def _reselect(view: QTableView, model: RowsModel, obj_id) -> None:
        rows = [i for i, r in enumerate(model.rows) if r.id == obj_id] if obj_id is not None else []
        row = rows[0] if rows else (0 if model.rows else -1)
        if row >= 0:
            view.selectRow(row)

    def _service_of(self, p: svc.AuthorisationData) -> str:
        if p.service_id is None or self.detail is None:
            return ""
        return next((s.service_code for s in self.detail.services if s.id == p.service_id), "")

    def current_procedure(self) -> svc.AuthorisationData | None:
        return self.procedures_model.row_object(self.procedures_view.currentIndex().row())

    def current_service(self) -> svc.ServiceData | None:
        return self.services_model.row_object(self.services_view.currentIndex().row())

    def current_requirement(self) -> svc.Requirement | None:
        return self.requirements_model.row_object(self.requirements_view.currentIndex().row())

    def select_procedure(self, authorisation_id: int) -> bool:
        rows = [i for i, p in enumerate(self.procedures_model.rows) if p.id == authorisation_id]
        if rows:
            self.procedures_view.selectRow(rows[0])
        return bool(rows)

    def select_service(self, service_code: str) -> bool:
        rows = [i for i, s in enumerate(self.services_model.rows) if s.service_code == service_code]
        if rows:
            self.services_view.selectRow(rows[0])
        return bool(rows)

    def _show_history(self) -> None:
        p = self.current_procedure()
        self.history_model.set_rows(self.detail.histories.get(p.id, []) if (p and self.detail) else [])
        self._load_documents(p.id if p else None)
        self._update_actions()

    def open_import_wizard(self):
        """The licences import wizard (window-modal, not blocking); the page recalculates after an import."""
        from gui.dialogs.import_wizard import ImportWizard

        wizard = ImportWizard(self.ctx, "authorisations", self)
        self.import_wizard = wizard
        wizard.imported.connect(lambda _counts: self.reload())
        wizard.open()
        return wizard

    # ---- documents --------------------------------------------------------------------------------------
    def _load_documents(self, authorisation_id: int | None) -> None:
        self.documents_model.set_rows([])
        if authorisation_id is None:
            return

        def work(session: Session):  # reading and checksumming the files happens off the UI thread
            return [(d, documents.verify_document(d)) for d in documents.list_documents(session, authorisation_id)]

        def done(rows) -> None:
            current = self.current_procedure()
            if current is not None and current.id == authorisation_id:
                self.documents_model.set_rows(rows)
                self._update_actions()

        self.ctx.run_read(work, done, self._failed)

    def document_rows(self) -> list[tuple[documents.DocumentData, documents.Verification]]:
        return list(self.documents_model.rows)

    def choose_document(self) -> None:
        p = self.current_procedure()
        if p is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, "Adjuntar documento", "", "Documentos escaneados (*.pdf *.jpg *.jpeg *.png)")
        if path:
            self.attach_file(path)

    def attach_file(self, path: str | Path) -> None:
        """Copy ``path`` into the data folder and attach it to the selected procedure (one write task)."""
        p = self.current_procedure()
        if p is None:
            return
        user = self.ctx.username

        def done(doc: documents.DocumentData) -> None:
            self.status_message.emit(f"Documento «{doc.original_name}» adjuntado al trámite {p.type_code}.")
            self._load_documents(p.id)

        self.ctx.run_write(lambda s: documents.attach_document(s, p.id, path, user), done, self._failed)

    def open_document(self) -> bool:
        """Open the selected document with the system viewer; a missing or altered file is said, not opened."""
        row = self.documents_model.row_object(self.documents_view.currentIndex().row())
        if row is None:
            return False
        doc, check = row
        if not check.ok:
            self.status_message.emit(check.message)
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(documents.document_path(doc))))

    def _show_responsables(self) -> None:
        s = self.current_service()
        self.responsables_model.set_rows(s.responsables if s else [])
        self._update_actions()

    def _update_actions(self) -> None:
        has = self.detail is not None
        self.new_procedure_button.setEnabled(has)
        self.add_service_button.setEnabled(has)
        self.override_button.setEnabled(has and self.current_requirement() is not None)
        self.change_status_button.setEnabled(has and self.current_procedure() is not None)
        self.add_responsable_button.setEnabled(has and self.current_service() is not None)
        self.attach_button.setEnabled(has and self.current_procedure() is not None)
        self.open_document_button.setEnabled(self.documents_view.currentIndex().isValid())

    # ---- dialogs ----------------------------------------------------------------------------------------
    def _open(self, dialog, message) -> object:
        self.dialog = dialog
        dialog.saved.connect(lambda result: self._dialog_saved(message(result)))
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d))
        dialog.open()
        return dialog

    def _closed(self, dialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _dialog_saved(self, message: str) -> None:
        self.status_message.emit(message)
        self.reload()

    def new_procedure(self, type_code: str | None = None) -> NewProcedureDialog | None:
        if self.detail is None or self.snapshot is None:
            return None
        if type_code is None and self.current_requirement() is not None:
            type_code = self.current_requirement().type_code
        dialog = NewProcedureDialog(self.ctx, self.detail.establishment_id, self._establishment_label(),
                                    self.snapshot.types, self.snapshot.authorities, self.detail.services, type_code,
                                    self)
        return self._open(dialog, lambda d: f"Trámite {d.type_code} registrado ({status_label(d.status)}).")

    def change_status(self) -> ChangeStatusDialog | None:
        p = self.current_procedure()
        if p is None:
            return None
        label = f"{self._establishment_label()} — {p.type_code}{' folio ' + p.folio if p.folio else ''}"
        dialog = ChangeStatusDialog(self.ctx, p, label, self, self.today())
        return self._open(dialog, lambda d: f"Trámite {d.type_code}: ahora «{status_label(d.status)}».")

    def add_service(self) -> ServiceDialog | None:
        if self.detail is None or self.snapshot is None:
            return None
        existing = {s.service_code for s in self.detail.services}
        dialog = ServiceDialog(self.ctx, self.detail.establishment_id, self._establishment_label(),
                               self.snapshot.service_types, existing, self)
        return self._open(dialog, lambda s: f"Servicio {s.service_name} agregado.")

    def add_responsable(self) -> ResponsableDialog | None:
        s = self.current_service()
        if s is None:
            return None
        return self._open(ResponsableDialog(self.ctx, s, self),
                          lambda r: f"Responsable sanitario {r.full_name} registrado.")

    def edit_override(self) -> OverrideDialog | None:
        r = self.current_requirement()
        if r is None:
            return None
        return self._open(OverrideDialog(self.ctx, r, self._establishment_label(), self),
                          lambda req: f"{req.type_name}: {'requerida' if req.required else 'no requerida'}.")

    # ---- errors -----------------------------------------------------------------------------------------
    def _failed(self, failure: TaskFailure) -> None:
        exc = failure.exception
        if isinstance(exc, (svc.ConcurrencyError, svc.NotFoundError, documents.DocumentError)):
            box = QMessageBox(QMessageBox.Icon.Warning, "Autorizaciones sanitarias", str(exc),
                              QMessageBox.StandardButton.Ok, self)
            self.message_box = box
            box.open()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)
