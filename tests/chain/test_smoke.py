from tests.conftest import Dao, artifact_cid


def test_fixture_dao_matches_model(dao: Dao) -> None:
    sf = dao.sf
    cid = sf.submit(dao["dee"], artifact_cid("x"), 60)
    sf.review(dao["ada"], cid, 3)
    m = dao.model()
    assert m.discrepancies == []
    assert m.contributions[cid].histogram == [0, 0, 0, 1, 0, 0]
