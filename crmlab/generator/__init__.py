"""The sample data (样例数据): seeded generators with planted truth.

Each generator writes a case's tables as CSV files that open in Excel on a
Chinese Windows machine (UTF-8 with BOM) and, in a separate folder, the truth
it planted (the answer key):

- :func:`generate` (:mod:`crmlab.generator.retail`): the sample company, an
  omnichannel retailer in China with customers, orders, interactions,
  complaints, a survey, a coupon experiment and three identification silos;
- :func:`generate_airline` (:mod:`crmlab.generator.airline`): the airline
  case, the members of a frequent-flyer programme with planted customer
  classes and dirt.

The same seed, size and student id give byte-identical files on any machine;
a ``student_id`` writes a student's own variant, each planted number scaled
by a factor in [0.85, 1.15]. The models are documented in
``datasets/README.md``.

Examples
--------
>>> from crmlab.generator import generate, generate_airline
>>> paths = generate("my_data", student_id="2025012345")  # doctest: +SKIP
>>> paths = generate_airline("my_data", student_id="2025012345")  # doctest: +SKIP
"""
from crmlab.generator.airline import generate_airline
from crmlab.generator.retail import company_folder, generate

__all__ = ["generate", "company_folder", "generate_airline"]
