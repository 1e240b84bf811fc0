"""Grading with criteria (分级分类管理): the owner's labels, each with minimum scores on the three axes the
seeds name (legal stability, technical advancement, market prospects); a patent's scores suggest its grade;
grades reference their label record, so renaming a label renames every patent's grade; history kept."""
