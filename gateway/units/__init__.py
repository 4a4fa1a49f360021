"""Curriculum units: the MEXT 学習指導要領コード tables, crosswalks and the prerequisite graph."""
