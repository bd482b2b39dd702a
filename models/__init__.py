"""Qt-free domain of Coordinación Estatal: ORM entities, validation, services, import/export."""
