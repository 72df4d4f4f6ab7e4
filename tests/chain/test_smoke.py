from tests.conftest import PARAMS, Dao, artifact_cid


def test_fixture_dao_matches_model(dao: Dao) -> None:
    sf = dao.sf
    cid = sf.submit(dao["dee"], artifact_cid("x"), 60)
    sf.review(dao["ada"], cid, 3)
    assert dao.model().contributions[cid].sealed_count == 1  # sealed: nothing in the histogram yet
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"], cid) == 1
    m = dao.model()
    assert m.discrepancies == []
    assert m.contributions[cid].histogram == [0, 0, 0, 1, 0, 0]
