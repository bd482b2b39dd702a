CREATE TABLE app_meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_app_meta PRIMARY KEY ("key")
);
CREATE TABLE audit_entries (
	id INTEGER NOT NULL, 
	occurred_at DATETIME NOT NULL, 
	username VARCHAR(80) NOT NULL, 
	action VARCHAR(40) NOT NULL, 
	entity VARCHAR(60) NOT NULL, 
	entity_uuid VARCHAR(36), 
	before_json TEXT, 
	after_json TEXT, 
	previous_hash VARCHAR(64) NOT NULL, 
	entry_hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_entries PRIMARY KEY (id), 
	CONSTRAINT uq_audit_entries_entry_hash UNIQUE (entry_hash)
);
CREATE TABLE authorisation_documents (
	authorisation_id INTEGER NOT NULL, 
	original_name VARCHAR(255) NOT NULL, 
	stored_name VARCHAR(255) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	size_bytes INTEGER NOT NULL, 
	added_at DATETIME NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_authorisation_documents PRIMARY KEY (id), 
	CONSTRAINT fk_authorisation_documents_authorisation_id_authorisations FOREIGN KEY(authorisation_id) REFERENCES authorisations (id), 
	CONSTRAINT uq_authorisation_documents_stored_name UNIQUE (stored_name), 
	CONSTRAINT uq_authorisation_documents_uuid UNIQUE (uuid)
);
CREATE TABLE authorisation_events (
	authorisation_id INTEGER NOT NULL, 
	from_status VARCHAR(21), 
	to_status VARCHAR(21) NOT NULL, 
	occurred_on DATE NOT NULL, 
	comment TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_authorisation_events PRIMARY KEY (id), 
	CONSTRAINT fk_authorisation_events_authorisation_id_authorisations FOREIGN KEY(authorisation_id) REFERENCES authorisations (id), 
	CONSTRAINT ck_authorisation_events_authorisation_status CHECK (from_status IN ('REQUERIDA', 'INTEGRANDO_EXPEDIENTE', 'INGRESADA', 'EN_TRAMITE', 'OTORGADA', 'VIGENTE', 'POR_VENCER', 'VENCIDA', 'REVOCADA', 'NO_APLICA')), 
	CONSTRAINT ck_authorisation_events_authorisation_status CHECK (to_status IN ('REQUERIDA', 'INTEGRANDO_EXPEDIENTE', 'INGRESADA', 'EN_TRAMITE', 'OTORGADA', 'VIGENTE', 'POR_VENCER', 'VENCIDA', 'REVOCADA', 'NO_APLICA')), 
	CONSTRAINT uq_authorisation_events_uuid UNIQUE (uuid)
);
CREATE TABLE authorisation_types (
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	default_authority_id INTEGER, 
	required_for_levels VARCHAR(60) NOT NULL, 
	required_for_service_code VARCHAR(20), 
	expires BOOLEAN NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_authorisation_types PRIMARY KEY (id), 
	CONSTRAINT uq_authorisation_types_code UNIQUE (code), 
	CONSTRAINT fk_authorisation_types_default_authority_id_authorities FOREIGN KEY(default_authority_id) REFERENCES authorities (id), 
	CONSTRAINT uq_authorisation_types_uuid UNIQUE (uuid)
);
CREATE TABLE authorisations (
	establishment_id INTEGER NOT NULL, 
	service_id INTEGER, 
	type_id INTEGER NOT NULL, 
	authority_id INTEGER, 
	status VARCHAR(21) NOT NULL, 
	required_override BOOLEAN, 
	override_reason TEXT NOT NULL, 
	folio VARCHAR(60) NOT NULL, 
	submitted_on DATE, 
	granted_on DATE, 
	expires_on DATE, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_authorisations PRIMARY KEY (id), 
	CONSTRAINT fk_authorisations_establishment_id_establishments FOREIGN KEY(establishment_id) REFERENCES establishments (id), 
	CONSTRAINT fk_authorisations_service_id_establishment_services FOREIGN KEY(service_id) REFERENCES establishment_services (id), 
	CONSTRAINT fk_authorisations_type_id_authorisation_types FOREIGN KEY(type_id) REFERENCES authorisation_types (id), 
	CONSTRAINT fk_authorisations_authority_id_authorities FOREIGN KEY(authority_id) REFERENCES authorities (id), 
	CONSTRAINT ck_authorisations_authorisation_status CHECK (status IN ('REQUERIDA', 'INTEGRANDO_EXPEDIENTE', 'INGRESADA', 'EN_TRAMITE', 'OTORGADA', 'VIGENTE', 'POR_VENCER', 'VENCIDA', 'REVOCADA', 'NO_APLICA')), 
	CONSTRAINT uq_authorisations_uuid UNIQUE (uuid)
);
CREATE TABLE authorities (
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_authorities PRIMARY KEY (id), 
	CONSTRAINT uq_authorities_code UNIQUE (code), 
	CONSTRAINT uq_authorities_uuid UNIQUE (uuid)
);
CREATE TABLE establishment_services (
	establishment_id INTEGER NOT NULL, 
	service_type_id INTEGER NOT NULL, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_establishment_services PRIMARY KEY (id), 
	CONSTRAINT fk_establishment_services_establishment_id_establishments FOREIGN KEY(establishment_id) REFERENCES establishments (id), 
	CONSTRAINT fk_establishment_services_service_type_id_service_types FOREIGN KEY(service_type_id) REFERENCES service_types (id), 
	CONSTRAINT uq_establishment_services_uuid UNIQUE (uuid)
);
CREATE TABLE establishments (
	clues VARCHAR(11) NOT NULL, 
	previous_clues VARCHAR(11), 
	name VARCHAR(250) NOT NULL, 
	state_id INTEGER NOT NULL, 
	institution_code VARCHAR(3) NOT NULL, 
	establishment_type VARCHAR(120) NOT NULL, 
	typology_id INTEGER, 
	subtypology VARCHAR(200) NOT NULL, 
	level_of_care VARCHAR(9) NOT NULL, 
	municipality_code VARCHAR(3) NOT NULL, 
	municipality VARCHAR(120) NOT NULL, 
	locality_code VARCHAR(4) NOT NULL, 
	locality VARCHAR(200) NOT NULL, 
	jurisdiction VARCHAR(120) NOT NULL, 
	address TEXT NOT NULL, 
	postal_code VARCHAR(5) NOT NULL, 
	latitude FLOAT, 
	longitude FLOAT, 
	operating_status VARCHAR(21) NOT NULL, 
	status_changed_on DATE, 
	operation_started_on DATE, 
	retirement_reason TEXT NOT NULL, 
	region_id INTEGER, 
	zone_id INTEGER, 
	referral_establishment_id INTEGER, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_establishments PRIMARY KEY (id), 
	CONSTRAINT uq_establishments_clues UNIQUE (clues), 
	CONSTRAINT fk_establishments_state_id_states FOREIGN KEY(state_id) REFERENCES states (id), 
	CONSTRAINT fk_establishments_typology_id_typologies FOREIGN KEY(typology_id) REFERENCES typologies (id), 
	CONSTRAINT ck_establishments_level_of_care CHECK (level_of_care IN ('PRIMER', 'SEGUNDO', 'TERCER', 'NO_APLICA')), 
	CONSTRAINT ck_establishments_operating_status CHECK (operating_status IN ('EN_OPERACION', 'CERRADO_TEMPORALMENTE', 'EN_CONSTRUCCION', 'BAJA')), 
	CONSTRAINT fk_establishments_region_id_regions FOREIGN KEY(region_id) REFERENCES regions (id), 
	CONSTRAINT fk_establishments_zone_id_zones FOREIGN KEY(zone_id) REFERENCES zones (id), 
	CONSTRAINT fk_establishments_referral_establishment_id_establishments FOREIGN KEY(referral_establishment_id) REFERENCES establishments (id), 
	CONSTRAINT uq_establishments_uuid UNIQUE (uuid)
);
CREATE TABLE exchange_conflicts (
	id INTEGER NOT NULL, 
	table_name VARCHAR(60) NOT NULL, 
	record_uuid VARCHAR(36) NOT NULL, 
	peer VARCHAR(8) NOT NULL, 
	source_office_id VARCHAR(36) NOT NULL, 
	package_sequence INTEGER NOT NULL, 
	local_version INTEGER NOT NULL, 
	incoming_version INTEGER NOT NULL, 
	local_json TEXT NOT NULL, 
	incoming_json TEXT NOT NULL, 
	detected_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	resolution VARCHAR(20), 
	resolved_by VARCHAR(80), 
	resolved_at DATETIME, 
	result_json TEXT, 
	CONSTRAINT pk_exchange_conflicts PRIMARY KEY (id)
);
CREATE TABLE exchange_packages (
	id INTEGER NOT NULL, 
	package_uuid VARCHAR(36) NOT NULL, 
	direction VARCHAR(10) NOT NULL, 
	kind VARCHAR(10) NOT NULL, 
	source_office VARCHAR(8) NOT NULL, 
	source_office_id VARCHAR(36) NOT NULL, 
	target_office VARCHAR(8) NOT NULL, 
	sequence INTEGER, 
	base_ack INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	processed_at DATETIME NOT NULL, 
	processed_by VARCHAR(80) NOT NULL, 
	file_name VARCHAR(255) NOT NULL, 
	file_sha256 VARCHAR(64) NOT NULL, 
	records INTEGER NOT NULL, 
	applied INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	conflicts INTEGER NOT NULL, 
	"deferred" INTEGER NOT NULL, 
	rejected INTEGER NOT NULL, 
	details_json TEXT NOT NULL, 
	sent_records BLOB, 
	acknowledged_at DATETIME, 
	CONSTRAINT pk_exchange_packages PRIMARY KEY (id), 
	CONSTRAINT uq_exchange_packages_direction_uuid UNIQUE (direction, package_uuid)
);
CREATE TABLE exchange_sync (
	peer VARCHAR(8) NOT NULL, 
	record_uuid VARCHAR(36) NOT NULL, 
	table_name VARCHAR(60) NOT NULL, 
	recv_version INTEGER, 
	common_hash VARCHAR(32), 
	common_version INTEGER, 
	known_hash VARCHAR(32), 
	known_version INTEGER, 
	CONSTRAINT pk_exchange_sync PRIMARY KEY (peer, record_uuid)
);
CREATE TABLE institutions (
	code VARCHAR(3) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_institutions PRIMARY KEY (id), 
	CONSTRAINT uq_institutions_code UNIQUE (code), 
	CONSTRAINT uq_institutions_uuid UNIQUE (uuid)
);
CREATE TABLE published_region_figures (
	state_id INTEGER NOT NULL, 
	period_start DATE NOT NULL, 
	period_end DATE NOT NULL, 
	regions INTEGER NOT NULL, 
	zones INTEGER NOT NULL, 
	coordinating_hospitals INTEGER NOT NULL, 
	other_hospitals INTEGER NOT NULL, 
	supervision_teams INTEGER NOT NULL, 
	source TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_published_region_figures PRIMARY KEY (id), 
	CONSTRAINT uq_published_region_figures_state_period UNIQUE (state_id, period_end), 
	CONSTRAINT fk_published_region_figures_state_id_states FOREIGN KEY(state_id) REFERENCES states (id), 
	CONSTRAINT uq_published_region_figures_uuid UNIQUE (uuid)
);
CREATE TABLE regions (
	state_id INTEGER NOT NULL, 
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_regions PRIMARY KEY (id), 
	CONSTRAINT uq_regions_state_name UNIQUE (state_id, name), 
	CONSTRAINT fk_regions_state_id_states FOREIGN KEY(state_id) REFERENCES states (id), 
	CONSTRAINT uq_regions_uuid UNIQUE (uuid)
);
CREATE TABLE responsables_sanitarios (
	service_id INTEGER NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	profession VARCHAR(120) NOT NULL, 
	cedula_profesional VARCHAR(20) NOT NULL, 
	valid_from DATE, 
	valid_to DATE, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_responsables_sanitarios PRIMARY KEY (id), 
	CONSTRAINT fk_responsables_sanitarios_service_id_establishment_services FOREIGN KEY(service_id) REFERENCES establishment_services (id), 
	CONSTRAINT uq_responsables_sanitarios_uuid UNIQUE (uuid)
);
CREATE TABLE service_types (
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	uses_ionising_radiation BOOLEAN NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_service_types PRIMARY KEY (id), 
	CONSTRAINT uq_service_types_code UNIQUE (code), 
	CONSTRAINT uq_service_types_uuid UNIQUE (uuid)
);
CREATE TABLE states (
	inegi_code VARCHAR(2) NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	short_name VARCHAR(40) NOT NULL, 
	clues_prefix VARCHAR(2) NOT NULL, 
	adhered BOOLEAN NOT NULL, 
	adhered_on DATE, 
	weekend_block_id INTEGER, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_states PRIMARY KEY (id), 
	CONSTRAINT uq_states_inegi_code UNIQUE (inegi_code), 
	CONSTRAINT uq_states_clues_prefix UNIQUE (clues_prefix), 
	CONSTRAINT fk_states_weekend_block_id_weekend_blocks FOREIGN KEY(weekend_block_id) REFERENCES weekend_blocks (id), 
	CONSTRAINT uq_states_uuid UNIQUE (uuid)
);
CREATE TABLE supervision_assignments (
	team_id INTEGER NOT NULL, 
	establishment_id INTEGER NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_supervision_assignments PRIMARY KEY (id), 
	CONSTRAINT uq_supervision_assignments_team_establishment UNIQUE (team_id, establishment_id), 
	CONSTRAINT fk_supervision_assignments_team_id_supervision_teams FOREIGN KEY(team_id) REFERENCES supervision_teams (id), 
	CONSTRAINT fk_supervision_assignments_establishment_id_establishments FOREIGN KEY(establishment_id) REFERENCES establishments (id), 
	CONSTRAINT uq_supervision_assignments_uuid UNIQUE (uuid)
);
CREATE TABLE supervision_team_members (
	team_id INTEGER NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	role VARCHAR(120) NOT NULL, 
	phone VARCHAR(40) NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_supervision_team_members PRIMARY KEY (id), 
	CONSTRAINT fk_supervision_team_members_team_id_supervision_teams FOREIGN KEY(team_id) REFERENCES supervision_teams (id), 
	CONSTRAINT uq_supervision_team_members_uuid UNIQUE (uuid)
);
CREATE TABLE supervision_teams (
	region_id INTEGER NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_supervision_teams PRIMARY KEY (id), 
	CONSTRAINT uq_supervision_teams_region_name UNIQUE (region_id, name), 
	CONSTRAINT fk_supervision_teams_region_id_regions FOREIGN KEY(region_id) REFERENCES regions (id), 
	CONSTRAINT uq_supervision_teams_uuid UNIQUE (uuid)
);
CREATE TABLE typologies (
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	default_level VARCHAR(9), 
	is_mobile BOOLEAN NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_typologies PRIMARY KEY (id), 
	CONSTRAINT uq_typologies_code UNIQUE (code), 
	CONSTRAINT uq_typologies_name UNIQUE (name), 
	CONSTRAINT ck_typologies_level_of_care CHECK (default_level IN ('PRIMER', 'SEGUNDO', 'TERCER', 'NO_APLICA')), 
	CONSTRAINT uq_typologies_uuid UNIQUE (uuid)
);
CREATE TABLE users (
	username VARCHAR(80) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	role VARCHAR(13) NOT NULL, 
	state_id INTEGER, 
	password_hash VARCHAR(255) NOT NULL, 
	active BOOLEAN NOT NULL, 
	failed_attempts INTEGER NOT NULL, 
	locked_until DATETIME, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT uq_users_username UNIQUE (username), 
	CONSTRAINT ck_users_user_role CHECK (role IN ('ADMINISTRADOR', 'COORDINADOR', 'CAPTURISTA', 'CONSULTA')), 
	CONSTRAINT fk_users_state_id_states FOREIGN KEY(state_id) REFERENCES states (id), 
	CONSTRAINT uq_users_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_blocks (
	number INTEGER NOT NULL, 
	name VARCHAR(40) NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_blocks PRIMARY KEY (id), 
	CONSTRAINT uq_weekend_blocks_number UNIQUE (number), 
	CONSTRAINT uq_weekend_blocks_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_interruptions (
	record_id INTEGER NOT NULL, 
	starts_on DATE NOT NULL, 
	ends_on DATE, 
	reason TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_interruptions PRIMARY KEY (id), 
	CONSTRAINT fk_weekend_interruptions_record_id_weekend_records FOREIGN KEY(record_id) REFERENCES weekend_records (id), 
	CONSTRAINT uq_weekend_interruptions_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_records (
	establishment_id INTEGER NOT NULL, 
	viable BOOLEAN NOT NULL, 
	weekend_since DATE, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_records PRIMARY KEY (id), 
	CONSTRAINT uq_weekend_records_establishment_id UNIQUE (establishment_id), 
	CONSTRAINT fk_weekend_records_establishment_id_establishments FOREIGN KEY(establishment_id) REFERENCES establishments (id), 
	CONSTRAINT uq_weekend_records_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_shifts (
	record_id INTEGER NOT NULL, 
	weekday INTEGER NOT NULL, 
	kind VARCHAR(17) NOT NULL, 
	starts_at TIME, 
	ends_at TIME, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_shifts PRIMARY KEY (id), 
	CONSTRAINT ck_weekend_shifts_weekday_range CHECK (weekday BETWEEN 0 AND 6), 
	CONSTRAINT fk_weekend_shifts_record_id_weekend_records FOREIGN KEY(record_id) REFERENCES weekend_records (id), 
	CONSTRAINT ck_weekend_shifts_shift_kind CHECK (kind IN ('MATUTINO', 'VESPERTINO', 'NOCTURNO', 'JORNADA_ACUMULADA')), 
	CONSTRAINT uq_weekend_shifts_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_staff (
	record_id INTEGER NOT NULL, 
	shift_id INTEGER, 
	role VARCHAR(10) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	contract_type VARCHAR(80) NOT NULL, 
	hired_on DATE, 
	left_on DATE, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_staff PRIMARY KEY (id), 
	CONSTRAINT fk_weekend_staff_record_id_weekend_records FOREIGN KEY(record_id) REFERENCES weekend_records (id), 
	CONSTRAINT fk_weekend_staff_shift_id_weekend_shifts FOREIGN KEY(shift_id) REFERENCES weekend_shifts (id), 
	CONSTRAINT ck_weekend_staff_staff_role CHECK (role IN ('MEDICO', 'ENFERMERIA', 'OTRO')), 
	CONSTRAINT uq_weekend_staff_uuid UNIQUE (uuid)
);
CREATE TABLE weekend_targets (
	state_id INTEGER NOT NULL, 
	units_target INTEGER NOT NULL, 
	doctors_target INTEGER, 
	effective_from DATE NOT NULL, 
	source TEXT NOT NULL, 
	reason TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_weekend_targets PRIMARY KEY (id), 
	CONSTRAINT uq_weekend_targets_state_date UNIQUE (state_id, effective_from), 
	CONSTRAINT fk_weekend_targets_state_id_states FOREIGN KEY(state_id) REFERENCES states (id), 
	CONSTRAINT uq_weekend_targets_uuid UNIQUE (uuid)
);
CREATE TABLE zones (
	region_id INTEGER NOT NULL, 
	code VARCHAR(20) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	coordinating_establishment_id INTEGER, 
	notes TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	changed_by VARCHAR(80) NOT NULL, 
	version INTEGER NOT NULL, 
	deleted_at DATETIME, 
	CONSTRAINT pk_zones PRIMARY KEY (id), 
	CONSTRAINT uq_zones_region_name UNIQUE (region_id, name), 
	CONSTRAINT fk_zones_region_id_regions FOREIGN KEY(region_id) REFERENCES regions (id), 
	CONSTRAINT fk_zones_coordinating_establishment_id_establishments FOREIGN KEY(coordinating_establishment_id) REFERENCES establishments (id), 
	CONSTRAINT uq_zones_uuid UNIQUE (uuid)
);
CREATE INDEX ix_audit_entries_entity_uuid ON audit_entries (entity_uuid);
CREATE INDEX ix_authorisation_documents_authorisation_id ON authorisation_documents (authorisation_id);
CREATE INDEX ix_authorisation_events_authorisation_id ON authorisation_events (authorisation_id);
CREATE INDEX ix_authorisations_establishment_id ON authorisations (establishment_id);
CREATE INDEX ix_establishment_services_establishment_id ON establishment_services (establishment_id);
CREATE INDEX ix_establishments_previous_clues ON establishments (previous_clues);
CREATE INDEX ix_establishments_region_id ON establishments (region_id);
CREATE INDEX ix_establishments_state_deleted ON establishments (state_id, deleted_at);
CREATE INDEX ix_establishments_zone_id ON establishments (zone_id);
CREATE INDEX ix_exchange_conflicts_record_uuid ON exchange_conflicts (record_uuid);
CREATE INDEX ix_exchange_packages_source_office_id ON exchange_packages (source_office_id);
CREATE INDEX ix_exchange_sync_peer_table ON exchange_sync (peer, table_name);
CREATE INDEX ix_published_region_figures_state_id ON published_region_figures (state_id);
CREATE INDEX ix_regions_state_id ON regions (state_id);
CREATE INDEX ix_responsables_sanitarios_service_id ON responsables_sanitarios (service_id);
CREATE INDEX ix_supervision_assignments_establishment_id ON supervision_assignments (establishment_id);
CREATE INDEX ix_supervision_assignments_team_id ON supervision_assignments (team_id);
CREATE INDEX ix_supervision_team_members_team_id ON supervision_team_members (team_id);
CREATE INDEX ix_supervision_teams_region_id ON supervision_teams (region_id);
CREATE INDEX ix_weekend_interruptions_record_id ON weekend_interruptions (record_id);
CREATE INDEX ix_weekend_shifts_record_id ON weekend_shifts (record_id);
CREATE INDEX ix_weekend_staff_record_id ON weekend_staff (record_id);
CREATE INDEX ix_weekend_targets_state_id ON weekend_targets (state_id);
CREATE INDEX ix_zones_coordinating_establishment_id ON zones (coordinating_establishment_id);
CREATE INDEX ix_zones_region_id ON zones (region_id);
INSERT INTO app_meta (key, value) VALUES ('schema_version', '2');
