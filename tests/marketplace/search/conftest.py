"""Search fixtures: real battery, drone and agriculture patents and a company with needs."""
import pytest

from tests import factories


@pytest.fixture
def listed(app, university, other_university):
    """Real patents listed by two universities: battery-powered machines, drones, construction; one draft."""
    with app.app_context():
        battery = factories.load_fixture("battery_patents.jsonl")
        sample = factories.load_fixture("patents_sample.jsonl")
        refs = {
            "lithium_planter": factories.make_patent(university, battery[2], segments=["TM-F1"], grade="A",
                                                     publish=True, legal_status="granted"),
            "lithium_mower": factories.make_patent(university, battery[8], segments=["TM-H11"], grade="B",
                                                   publish=True, legal_status="granted"),
            "drone": factories.make_patent(other_university, sample[0], segments=["TM-E1"], grade="A", publish=True),
            "bridge": factories.make_patent(other_university, sample[14], segments=["TM-E5"], grade="C", publish=True),
            "draft_lithium": factories.make_patent(university, battery[4], segments=["TM-F1"], grade="A"),
        }
    return refs
