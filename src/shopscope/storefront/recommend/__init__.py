"""Recommendations: popular/trending, co-occurrence, item-kNN, implicit ALS/BPR, served by lookup.

Build once (``build_recommendations``), serve many times from an in-process index
(``recommend_for_user``, ``recommend_for_item``; ``serving_index``), export for campaigns
(``export_campaign``), and measure offline with a temporal split (``evaluate``).
See ``docs/methods/recommendations.md``.
"""

from __future__ import annotations

from shopscope.storefront.recommend.build import BuildSummary as BuildSummary
from shopscope.storefront.recommend.build import build_recommendations as build_recommendations
from shopscope.storefront.recommend.cache import serving_index as serving_index
from shopscope.storefront.recommend.cooccurrence import also_viewed as also_viewed
from shopscope.storefront.recommend.cooccurrence import bought_together as bought_together
from shopscope.storefront.recommend.evaluate import MODEL_NAMES as MODEL_NAMES
from shopscope.storefront.recommend.evaluate import Evaluation as Evaluation
from shopscope.storefront.recommend.evaluate import ModelScore as ModelScore
from shopscope.storefront.recommend.evaluate import evaluate as evaluate
from shopscope.storefront.recommend.evaluate import temporal_split as temporal_split
from shopscope.storefront.recommend.index import ServingIndex as ServingIndex
from shopscope.storefront.recommend.interactions import InteractionMatrix as InteractionMatrix
from shopscope.storefront.recommend.interactions import InteractionWeights as InteractionWeights
from shopscope.storefront.recommend.interactions import interaction_table as interaction_table
from shopscope.storefront.recommend.metrics import RankingMetrics as RankingMetrics
from shopscope.storefront.recommend.metrics import ranking_metrics as ranking_metrics
from shopscope.storefront.recommend.models import ALS as ALS
from shopscope.storefront.recommend.models import BPR as BPR
from shopscope.storefront.recommend.models import FactorModel as FactorModel
from shopscope.storefront.recommend.models import ItemKNN as ItemKNN
from shopscope.storefront.recommend.models import Popularity as Popularity
from shopscope.storefront.recommend.popular import item_popularity as item_popularity
from shopscope.storefront.recommend.popular import trending_items as trending_items
from shopscope.storefront.recommend.serve import CampaignExport as CampaignExport
from shopscope.storefront.recommend.serve import Recommendations as Recommendations
from shopscope.storefront.recommend.serve import RecommendedItem as RecommendedItem
from shopscope.storefront.recommend.serve import export_campaign as export_campaign
from shopscope.storefront.recommend.serve import recommend_for_item as recommend_for_item
from shopscope.storefront.recommend.serve import recommend_for_user as recommend_for_user
from shopscope.storefront.recommend.serve import trending_list as trending_list

__all__ = [
    "ALS",
    "BPR",
    "MODEL_NAMES",
    "BuildSummary",
    "CampaignExport",
    "Evaluation",
    "FactorModel",
    "InteractionMatrix",
    "InteractionWeights",
    "ItemKNN",
    "ModelScore",
    "Popularity",
    "RankingMetrics",
    "Recommendations",
    "RecommendedItem",
    "ServingIndex",
    "also_viewed",
    "bought_together",
    "build_recommendations",
    "evaluate",
    "export_campaign",
    "interaction_table",
    "item_popularity",
    "ranking_metrics",
    "recommend_for_item",
    "recommend_for_user",
    "serving_index",
    "temporal_split",
    "trending_items",
    "trending_list",
]
